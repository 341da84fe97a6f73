#include <doctest/doctest.h>

#include "core/hash.h"

TEST_CASE("sha256_hex: known vectors, lower-case hex") {
  CHECK(pinsync::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(pinsync::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(pinsync::sha256_hex(std::string_view("a\0b", 3)) != pinsync::sha256_hex("ab"));
}

TEST_CASE("sha256_128: the first 16 bytes of the SHA-256") {
  const pinsync::Digest128 abc = pinsync::sha256_128("abc");
  const pinsync::Digest128 expected{0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
                                    0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23};
  CHECK(abc == expected);
  CHECK(pinsync::sha256_128("abd") != abc);
}
