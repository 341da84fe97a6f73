#include "agent/pinned/keys.h"

#include <cctype>

#include "core/hash.h"

namespace pinsync::agent {

namespace {

constexpr std::size_t k_max_id_part = 64;

// The source id as it may appear in a key; lossy changes get a hash suffix.
std::string key_part(std::string_view id) {
  std::string out;
  out.reserve(id.size());
  bool changed = false;
  for (unsigned char c : id) {
    if (std::isalnum(c) || c == '.' || c == '_' || c == '-') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('_');
      changed = true;
    }
  }
  if (out.size() > k_max_id_part) {
    out.resize(k_max_id_part - 17);
    changed = true;
  }
  if (changed) out += "-" + sha256_hex(id).substr(0, 16);
  return out;
}

}  // namespace

std::string create_key(std::string_view source, std::string_view source_id) {
  return "pinsync-" + std::string(source) + "-" + key_part(source_id) + "-create";
}

std::string update_key(std::string_view source, std::string_view source_id, std::string_view payload_hash) {
  return "pinsync-" + std::string(source) + "-" + key_part(source_id) + "-update-" +
         std::string(payload_hash.substr(0, 16));
}

std::string unpublish_key(std::string_view source, std::string_view source_id, int writes) {
  return "pinsync-" + std::string(source) + "-" + key_part(source_id) + "-unpublish-" + std::to_string(writes);
}

std::string republish_key(std::string_view source, std::string_view source_id, int writes,
                          std::string_view payload_hash) {
  return "pinsync-" + std::string(source) + "-" + key_part(source_id) + "-republish-" + std::to_string(writes) + "-" +
         std::string(payload_hash.substr(0, 16));
}

bool is_status_key(std::string_view key) {
  return key.starts_with("pinsync-") &&
         (key.find("-unpublish-") != std::string_view::npos || key.find("-republish-") != std::string_view::npos);
}

}  // namespace pinsync::agent
