// Memory for a large table that is filled once and dropped whole (a pass's row digests).
// Small tables take ordinary heap blocks; from 2 MiB on, blocks come straight from the
// kernel as huge pages where it allows them, faulted in up front: filling 100k rows then
// costs a handful of page faults instead of thousands, which on a virtual machine were a
// fifth of a no-change pass. Not thread-safe; what it hands out lives as long as the arena.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace pinsync {

class BlockArena {
 public:
  BlockArena() = default;
  BlockArena(const BlockArena&) = delete;
  BlockArena& operator=(const BlockArena&) = delete;
  ~BlockArena();

  // `size` bytes aligned to `align` (a power of two, at most 64). Throws std::bad_alloc
  // when the system has no memory left, as operator new does.
  void* allocate(std::size_t size, std::size_t align);
  // The bytes taken from the system so far.
  std::size_t reserved() const { return m_reserved; }

 private:
  struct Block {
    void* base;
    std::size_t size;
    bool mapped;  // from mmap, else from operator new
  };
  void add_block(std::size_t at_least);

  std::vector<Block> m_blocks;
  char* m_next = nullptr;
  std::size_t m_free = 0;
  std::size_t m_reserved = 0;
};

// A standard allocator over a BlockArena: deallocate does nothing (the arena frees all at
// once), so a vector growing in it leaves its old buffers there until the arena goes.
template <typename T>
struct ArenaAllocator {
  using value_type = T;
  BlockArena* arena;
  explicit ArenaAllocator(BlockArena& a) noexcept : arena(&a) {}
  template <typename U>
  ArenaAllocator(const ArenaAllocator<U>& other) noexcept : arena(other.arena) {}
  T* allocate(std::size_t n) { return static_cast<T*>(arena->allocate(n * sizeof(T), alignof(T))); }
  void deallocate(T*, std::size_t) noexcept {}
  template <typename U>
  bool operator==(const ArenaAllocator<U>& other) const noexcept {
    return arena == other.arena;
  }
};

}  // namespace pinsync
