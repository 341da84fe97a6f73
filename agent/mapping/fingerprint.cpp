#include "agent/mapping/fingerprint.h"

#include <cstdint>
#include <string_view>

#include "core/build_info.h"
#include "core/datetime.h"
#include "core/hash.h"

namespace pinsync::agent {

namespace {

// Every value length-prefixed, so no two different inputs write the same bytes.
class Inputs {
 public:
  Inputs& text(std::string_view s) {
    number(static_cast<std::int64_t>(s.size()));
    m_bytes.append(s);
    return *this;
  }
  Inputs& number(std::int64_t n) {
    for (int shift = 0; shift < 64; shift += 8) m_bytes.push_back(static_cast<char>((n >> shift) & 0xFF));
    return *this;
  }
  Inputs& texts(const std::vector<std::string>& list) {
    number(static_cast<std::int64_t>(list.size()));
    for (const auto& s : list) text(s);
    return *this;
  }
  Digest128 digest() const { return sha256_128(m_bytes); }

 private:
  std::string m_bytes;
};

// The structured bindings below name every member of each config struct: a member added to
// one of them does not compile here until it is either written into the fingerprint or
// said to be none of the mapper's business.

void add(Inputs& in, const ApprovalRule& rule) {
  const auto& [column, values, formula] = rule;
  in.text(column).texts(values).text(formula);
}

void add(Inputs& in, const Mapping& mapping) {
  const auto& [title, start_date, start_time, start, end_date, end_time, end, timezone, classifications, city,
               location_name, description, ticket_url] = mapping;
  in.text(title).text(start_date).text(start_time).text(start).text(end_date).text(end_time).text(end);
  in.text(timezone).text(location_name).text(description).text(ticket_url);
  const auto& [label_column, separator, labels] = classifications;
  in.text(label_column).text(separator).number(static_cast<std::int64_t>(labels.size()));
  for (const auto& [label, slug] : labels) in.text(label).text(slug);
  const auto& [city_column, places] = city;
  in.text(city_column).number(static_cast<std::int64_t>(places.size()));
  for (const auto& [name, place] : places) {
    const auto& [place_id, country_code] = place;
    in.text(name).text(place_id).text(country_code);
  }
}

}  // namespace

Digest128 mapping_fingerprint(const SourceConfig& source, const connectors::Table& header,
                                const KnownSlugs& known_slugs) {
  Inputs in;
  in.text("pinsync mapping 1").text(build_info::version()).text(build_info::revision());
  in.text(time_zone_rules_version());
  in.texts(header.columns).text(header.time_zone);
  in.number(known_slugs ? static_cast<std::int64_t>(known_slugs->size()) : -1);
  if (known_slugs) {
    for (const auto& slug : *known_slugs) in.text(slug);
  }
  // Not the mapper's: the connector's settings (what it reads is the header and the cells;
  // the write-back event-ID column it finds there only names a row's event, no payload field),
  // the schedule, the removal rules and where the source is written in the config.
  [[maybe_unused]] const auto& [name, settings, full_scan_interval, id_column, fingerprint, approved, channel_id,
                                status, status_column, timezone, date_order, poll_interval, max_removed_share,
                                recreate_deleted, on_removed, mapping, line] = source;
  in.text(name).text(id_column).texts(fingerprint);
  add(in, approved);
  in.number(channel_id).number(static_cast<std::int64_t>(status)).text(status_column).text(timezone);
  in.number(static_cast<std::int64_t>(date_order));
  add(in, mapping);
  return in.digest();
}

}  // namespace pinsync::agent
