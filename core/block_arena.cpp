#include "core/block_arena.h"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <new>

namespace pinsync {

namespace {

constexpr std::size_t k_huge = std::size_t{2} << 20;  // a huge page on x86-64 and arm64
constexpr std::size_t k_first_block = 64 * 1024;
constexpr std::size_t k_largest_block = 2 * k_huge;

// A k_huge-aligned mapping of `size` (a multiple of k_huge), asked to be huge pages and
// faulted in; nullptr when the system has no memory left.
void* map_huge(std::size_t size) {
  const std::size_t span = size + k_huge;
  void* raw = ::mmap(nullptr, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) return nullptr;
  const auto start = reinterpret_cast<std::uintptr_t>(raw);
  const std::uintptr_t aligned = (start + k_huge - 1) & ~(k_huge - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  if (const std::uintptr_t end = start + span; end > aligned + size) {
    ::munmap(reinterpret_cast<void*>(aligned + size), end - aligned - size);
  }
  void* base = reinterpret_cast<void*>(aligned);
  // Both are advice: a kernel without them (or with huge pages off) faults pages in one by
  // one as they are first written, as for any memory.
  (void)::madvise(base, size, MADV_HUGEPAGE);
#ifdef MADV_POPULATE_WRITE
  (void)::madvise(base, size, MADV_POPULATE_WRITE);
#endif
  return base;
}

}  // namespace

BlockArena::~BlockArena() {
  for (const Block& b : m_blocks) {
    if (b.mapped) ::munmap(b.base, b.size);
    else ::operator delete(b.base);
  }
}

void BlockArena::add_block(std::size_t at_least) {
  // Each block doubles the last up to a few huge pages, so a small table stays small, a
  // large one needs few blocks and the last block's unused tail stays small.
  std::size_t size = m_blocks.empty() ? k_first_block : std::min(m_blocks.back().size * 2, k_largest_block);
  size = std::max(size, at_least);
  Block block{nullptr, size, size >= k_huge};
  if (block.mapped) {
    block.size = (size + k_huge - 1) / k_huge * k_huge;
    block.base = map_huge(block.size);
    if (block.base == nullptr) throw std::bad_alloc();
  } else {
    block.base = ::operator new(size);
  }
  m_blocks.push_back(block);
  m_next = static_cast<char*>(block.base);
  m_free = block.size;
  m_reserved += block.size;
}

void* BlockArena::allocate(std::size_t size, std::size_t align) {
  const auto padding = [&] { return (align - reinterpret_cast<std::uintptr_t>(m_next) % align) % align; };
  if (m_next == nullptr || padding() + size > m_free) add_block(size + align);
  const std::size_t pad = padding();
  char* const at = m_next + pad;
  m_next = at + size;
  m_free -= pad + size;
  return at;
}

}  // namespace pinsync
