// BlockArena: aligned pieces that never move, small tables in small blocks, large ones in
// a few big blocks, and a vector growing in it through ArenaAllocator.
#include <doctest/doctest.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "core/block_arena.h"

using pinsync::ArenaAllocator;
using pinsync::BlockArena;

TEST_CASE("BlockArena: aligned, distinct pieces that keep what was written in them") {
  BlockArena arena;
  std::vector<std::pair<char*, std::size_t>> pieces;
  for (std::size_t i = 0; i < 2000; ++i) {
    const std::size_t align = std::size_t{1} << (i % 7);  // 1 .. 64
    const std::size_t size = 1 + (i * 37) % 3000;
    auto* p = static_cast<char*>(arena.allocate(size, align));
    CHECK(reinterpret_cast<std::uintptr_t>(p) % align == 0);
    std::memset(p, static_cast<int>(i % 251), size);
    pieces.emplace_back(p, size);
  }
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    const auto [p, size] = pieces[i];
    CHECK(static_cast<unsigned char>(p[0]) == i % 251);
    CHECK(static_cast<unsigned char>(p[size - 1]) == i % 251);
  }
}

TEST_CASE("BlockArena: a small table stays small; a large one takes what it needs and little more") {
  BlockArena small;
  (void)small.allocate(20 * 96, 8);
  CHECK(small.reserved() <= 64 * 1024);

  BlockArena large;
  const std::size_t want = 30 << 20;
  std::size_t given = 0;
  while (given < want) {
    auto* p = static_cast<char*>(large.allocate(4096, 64));
    p[0] = p[4095] = 1;
    given += 4096;
  }
  CHECK(large.reserved() >= want);
  CHECK(large.reserved() < want + (5 << 20));  // at most the last block's unused tail

  BlockArena huge_piece;
  auto* p = static_cast<char*>(huge_piece.allocate(9 << 20, 64));  // larger than any block
  p[0] = p[(9 << 20) - 1] = 1;
  CHECK(huge_piece.reserved() >= (9u << 20));
}

TEST_CASE("ArenaAllocator: a vector grows in the arena") {
  BlockArena arena;
  std::vector<int, ArenaAllocator<int>> numbers{ArenaAllocator<int>(arena)};
  for (int i = 0; i < 100'000; ++i) numbers.push_back(i);
  CHECK(numbers[99'999] == 99'999);
  CHECK(arena.reserved() >= 100'000 * sizeof(int));
}
