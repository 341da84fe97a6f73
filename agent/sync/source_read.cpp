#include "agent/sync/source_read.h"

#include <algorithm>
#include <functional>
#include <string>

#include "core/hash.h"

namespace pinsync::agent {

using state::RowState;

IdIndex::IdIndex(const state::RowDigests& digests, BlockArena& arena)
    : m_digests(digests), m_slots(ArenaAllocator<Slot>(arena)) {
  std::size_t capacity = 16;
  while (capacity < 2 * digests.size()) capacity *= 2;
  m_slots.assign(capacity, Slot{});
  m_mask = capacity - 1;
  for (std::uint32_t i = 0; i < digests.size(); ++i) {
    const std::size_t h = std::hash<std::string_view>{}(digests[i].source_id);
    std::size_t at = h & m_mask;
    while (m_slots[at].index != k_empty) at = (at + 1) & m_mask;  // IDs are unique in the store
    m_slots[at] = {static_cast<std::uint32_t>(h >> 32), i};
  }
}

std::optional<std::uint32_t> IdIndex::find(std::string_view id) const {
  const std::size_t h = std::hash<std::string_view>{}(id);
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  for (std::size_t at = h & m_mask;; at = (at + 1) & m_mask) {
    const Slot& slot = m_slots[at];
    if (slot.index == k_empty) return std::nullopt;
    if (slot.tag == tag && m_digests[slot.index].source_id == id) return slot.index;
  }
}

KnownRows::KnownRows(state::RowDigests digests)
    : m_digests(std::move(digests)),
      m_by_id(m_digests, m_arena),
      m_seen(m_digests.size(), Seen::no, ArenaAllocator<Seen>(m_arena)),
      m_position(m_digests.size(), 0, ArenaAllocator<std::size_t>(m_arena)) {}

std::optional<std::uint32_t> KnownRows::lookup(std::string_view id) {
  if (m_next < m_digests.size() && m_digests[m_next].source_id == id) return m_next++;
  const auto found = m_by_id.find(id);
  if (found) m_next = *found + 1;
  return found;
}

bool KnownRows::retry_due(std::int64_t now) const {
  for (std::size_t i = 0; i < m_digests.size(); ++i) {
    if (m_digests[i].state == RowState::failed && m_digests[i].next_attempt_at <= now) return true;
  }
  return false;
}

bool KnownRows::settle(const MappedRow& row, std::size_t position,
                       std::vector<std::pair<std::size_t, MappedRow>>& unsettled) {
  if (row.source_id.empty()) return false;
  const auto found = lookup(row.source_id);
  if (!found) return false;
  const std::uint32_t i = *found;
  const state::RowDigest& d = m_digests[i];
  if (m_seen[i] == Seen::settled) {
    MappedRow first;
    first.source_id = d.source_id;
    first.row_ref = d.row_ref;
    first.approved = true;
    first.payload_hash = std::string(d.payload_hash);
    unsettled.emplace_back(m_position[i], std::move(first));
    --m_settled;
  }
  if (m_seen[i] != Seen::no) {
    m_seen[i] = Seen::kept;
    return false;
  }
  const bool same = row.approved && row.errors.empty() && d.state == RowState::synced && d.event_id &&
                    d.payload_hash == row.payload_hash && d.row_ref == row.row_ref;
  m_seen[i] = same ? Seen::settled : Seen::kept;
  if (!same) return false;
  m_position[i] = position;
  ++m_settled;
  return true;
}

bool KnownRows::settle_unmapped(const MappedRow& identity, const connectors::Row& row, const RowMapper& mapper,
                                std::size_t position) {
  if (!identity.approved || identity.source_id.empty()) return false;
  const auto found = lookup(identity.source_id);
  if (!found || m_seen[*found] != Seen::no) return false;
  const std::uint32_t i = *found;
  const state::RowDigest& d = m_digests[i];
  if (!d.cells_token || d.state != RowState::synced || !d.event_id || d.row_ref != identity.row_ref) return false;
  if (mapper.cells_token(row, d.payload_hash) != *d.cells_token) return false;
  m_seen[i] = Seen::settled;
  m_position[i] = position;
  ++m_settled;
  return true;
}

std::optional<Digest128> KnownRows::cells_token(std::string_view source_id) const {
  const auto found = m_by_id.find(source_id);
  if (!found) return std::nullopt;
  return m_digests[*found].cells_token;
}

bool KnownRows::is_settled(std::string_view source_id) const {
  const auto found = m_by_id.find(source_id);
  return found && m_seen[*found] == Seen::settled;
}

std::optional<std::string_view> KnownRows::settled_owner(std::int64_t event) {
  if (!m_owner_of) {
    m_owner_of.emplace();
    for (std::size_t i = 0; i < m_digests.size(); ++i) {
      const state::RowDigest& d = m_digests[i];
      if (m_seen[i] == Seen::settled) m_owner_of->emplace(*d.event_id, d.source_id);
    }
  }
  const auto it = m_owner_of->find(event);
  if (it == m_owner_of->end()) return std::nullopt;
  return it->second;
}

PlainCreates::Id& PlainCreates::entry(std::string_view source_id, bool& added) {
  const std::size_t h = std::hash<std::string_view>{}(source_id);
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  const std::size_t mask = m_slots.size() - 1;
  for (std::size_t at = h & mask;; at = (at + 1) & mask) {
    Slot& slot = m_slots[at];
    if (slot.index == k_none) {
      added = true;
      slot = {tag, static_cast<std::uint32_t>(m_ids.size())};
      m_ids.push_back({keep(source_id)});
      Id& made = m_ids.back();
      if (2 * m_ids.size() > m_slots.size()) grow();
      return made;
    }
    if (slot.tag == tag && m_ids[slot.index].id == source_id) {
      added = false;
      return m_ids[slot.index];
    }
  }
}

void PlainCreates::grow() {
  std::vector<Slot> slots(2 * m_slots.size());
  const std::size_t mask = slots.size() - 1;
  for (std::uint32_t i = 0; i < m_ids.size(); ++i) {
    const std::size_t h = std::hash<std::string_view>{}(m_ids[i].id);
    std::size_t at = h & mask;
    while (slots[at].index != k_none) at = (at + 1) & mask;
    slots[at] = {static_cast<std::uint32_t>(h >> 32), i};
  }
  m_slots = std::move(slots);
}

std::string_view PlainCreates::keep(std::string_view text) {
  if (text.empty()) return {};
  auto* at = static_cast<char*>(m_text->allocate(text.size(), 1));
  std::copy(text.begin(), text.end(), at);
  return {at, text.size()};
}

bool PlainCreates::take(const MappedRow& row, std::size_t position) {
  if (row.source_id.empty()) return false;
  bool added = false;
  Id& id = entry(row.source_id, added);
  const bool plain = row.approved && row.errors.empty() && row.written_event_id.empty();
  if (!added || !plain) return false;
  id.row = static_cast<std::uint32_t>(m_rows.size());
  m_rows.push_back({keep(row.row_ref), id.id, position, false});
  ++m_kept;
  return true;
}

std::optional<std::pair<std::size_t, MappedRow>> PlainCreates::give_back(std::string_view source_id) {
  if (source_id.empty() || m_kept == 0) return std::nullopt;
  const std::size_t h = std::hash<std::string_view>{}(source_id);
  const auto tag = static_cast<std::uint32_t>(h >> 32);
  const std::size_t mask = m_slots.size() - 1;
  for (std::size_t at = h & mask; m_slots[at].index != k_none; at = (at + 1) & mask) {
    Id& id = m_ids[m_slots[at].index];
    if (m_slots[at].tag != tag || id.id != source_id) continue;
    if (id.row == k_none || m_rows[id.row].given_back) return std::nullopt;
    Row& kept = m_rows[id.row];
    kept.given_back = true;
    --m_kept;
    MappedRow first;
    first.source_id = std::string(kept.source_id);
    first.row_ref = std::string(kept.row_ref);
    first.approved = true;
    return std::pair{kept.position, std::move(first)};
  }
  return std::nullopt;
}

namespace {

std::optional<std::size_t> id_column_index(const PassContext& ctx, const std::vector<std::string>& columns) {
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (columns[i] == ctx.source.id_column) return i;
  }
  return std::nullopt;
}

// An approved row without an ID, with the cells it was read with: what an ID is made from
// and written back into.
struct IdLessRow {
  std::size_t index;  // in SourceRows::rows
  connectors::Row row;
};

// A dry run shows what a sync would do: an approved row without an ID gets one from the
// sync before its event is created, so the plan gives it a stand-in ("(new ID 1)") in the
// row it maps — never in the source. Returns true when a row changed.
bool preview_missing_ids(std::size_t id_index, std::vector<IdLessRow>& rows) {
  int n = 0;
  for (auto& id_less : rows) id_less.row.cells[id_index] = "(new ID " + std::to_string(++n) + ")";
  return n > 0;
}

// Gives approved rows without an ID a new one, written into the source's ID column
// before their events are created, so identity survives sorting and inserted rows.
// Returns true when a row changed and must be mapped again.
bool assign_missing_ids(const PassContext& ctx, std::size_t id_index, std::vector<IdLessRow>& rows) {
  std::vector<connectors::IdAssignment> wanted;
  const auto stamp = std::to_string(unix_seconds(ctx.clock));
  for (const auto& [index, row] : rows) {
    std::string seed = ctx.source.name + '\x1f' + row.row_ref + '\x1f' + stamp;
    for (const auto& cell : row.cells) seed += '\x1f' + cell;
    wanted.push_back({row.row_ref, "PS-" + sha256_hex(seed).substr(0, 10), row.cells});
  }
  if (wanted.empty()) return false;
  auto written = ctx.connector.assign_ids(wanted);
  if (!written) {
    ctx.log.warn("could not store new IDs in the source; those rows stay invalid until they have one",
                 {{"source", ctx.source.name}, {"reason", written.error().message}});
    return false;
  }
  for (const auto& done : *written) {
    for (std::size_t k = 0; k < wanted.size(); ++k) {
      if (wanted[k].row_ref != done.row_ref) continue;
      rows[k].row.cells[id_index] = done.new_id;
      ctx.log.info("assigned an ID", {{"source", ctx.source.name}, {"row", done.row_ref}, {"id", done.new_id}});
    }
  }
  return !written->empty();
}

// Maps each row as the connector hands it over and keeps what the plan needs.
class ReadSink final : public connectors::RowSink {
 public:
  ReadSink(const PassContext& ctx, PassMode mode, KnownRows& known, bool settle)
      : m_ctx(ctx),
        m_mode(mode),
        m_known(known),
        m_settle(settle),
        m_plain(mode == PassMode::dry_run && ctx.options.only_rows.empty()) {}

  Result<void> begin(const connectors::Table& header) override {
    auto mapper = RowMapper::open(m_ctx.source, header, m_ctx.known_slugs);
    if (!mapper) {
      m_mapping_error = mapper.error();
      return std::unexpected(mapper.error());
    }
    m_mapper.emplace(std::move(*mapper));
    m_read = header.complete ? SourceRead::complete : SourceRead::changes_only;
    if (m_ctx.connector.assigns_ids()) m_id_index = id_column_index(m_ctx, header.columns);
    return {};
  }

  void row(connectors::Row&& row) override {
    const std::size_t position = m_count++;
    if (m_settle) {
      // Most rows of a no-change pass settle here, by a digest of their cells, unmapped.
      m_mapper->identify(row, m_current);
      if (m_known.settle_unmapped(m_current, row, *m_mapper, position)) return;  // m_current is reused
    }
    m_mapper->map(row, m_current);
    // The token of a row that maps to a payload is stored whether or not the row settles:
    // for a row sent in this pass it says the cells map to what the event will hold, so the
    // next pass settles it unmapped. It names the payload hash, so it vouches for nothing
    // else (a write that fails leaves the stored hash, and the token, unequal).
    if (m_mode == PassMode::apply && !m_current.payload_hash.empty() && !m_current.source_id.empty()) {
      const Digest128 token = m_mapper->cells_token(row, m_current.payload_hash);
      if (m_known.cells_token(m_current.source_id) != token) m_tokens.push_back({m_current.source_id, token});
    }
    if (m_settle && m_known.settle(m_current, position, m_unsettled)) return;
    if (m_plain && !m_known.knows(m_current.source_id)) {
      // A dry run keeps a row it can only create as its place and ID (m_current is reused).
      if (auto first = m_creates.give_back(m_current.source_id)) m_unsettled.push_back(std::move(*first));
      if (m_creates.take(m_current, position)) return;
    }
    if (m_id_index && m_current.approved && m_current.source_id.empty()) {
      m_id_less.push_back({m_rows.size(), std::move(row)});
    }
    m_positions.push_back(position);
    if (m_mode == PassMode::dry_run && !may_update(m_current)) {
      // A dry run sends nothing, and a row that can only be created (or not at all) is
      // compared with nothing: neither its payload nor its hash is kept.
      std::string().swap(m_current.payload);
      std::string().swap(m_current.payload_hash);
    } else {
      m_current.payload.shrink_to_fit();
    }
    m_rows.push_back(std::move(m_current));
    m_current = MappedRow{};
  }

  // Whether a dry run may plan an update of `row`, whose changes it shows field by field:
  // an approved row the store knows, or one whose event-ID cell may take over an event.
  bool may_update(const MappedRow& row) const {
    return row.approved && (m_known.knows(row.source_id) || !row.written_event_id.empty());
  }

  // The mapper's error when the header lacks a mapped column (reported as it is, not as the
  // connector's).
  const std::optional<Error>& mapping_error() const { return m_mapping_error; }

  // Gives approved rows without an ID one (or, in a dry run, a stand-in) and maps them
  // again; returns the rows in source order.
  SourceRows finish() {
    if (m_id_index && !m_id_less.empty()) {
      const bool changed = m_mode == PassMode::apply ? assign_missing_ids(m_ctx, *m_id_index, m_id_less)
                                                   : preview_missing_ids(*m_id_index, m_id_less);
      if (changed) {
        for (const auto& [index, row] : m_id_less) {
          m_rows[index] = m_mapper->map(row);
          if (!m_plain) continue;
          // A stand-in ID a plain create has (unlikely, but two rows with one ID are invalid)
          if (auto first = m_creates.give_back(m_rows[index].source_id)) m_unsettled.push_back(std::move(*first));
        }
      }
    }
    if (!m_unsettled.empty()) {
      // A duplicate ID took its first row out of the settled ones (or the plain creates):
      // back into source order.
      for (auto& [position, row] : m_unsettled) {
        m_positions.push_back(position);
        m_rows.push_back(std::move(row));
      }
      std::vector<std::size_t> order(m_rows.size());
      for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
      std::ranges::sort(order, [&](std::size_t a, std::size_t b) { return m_positions[a] < m_positions[b]; });
      std::vector<MappedRow> sorted;
      std::vector<std::size_t> positions;
      sorted.reserve(m_rows.size());
      positions.reserve(m_rows.size());
      for (const std::size_t i : order) {
        sorted.push_back(std::move(m_rows[i]));
        positions.push_back(m_positions[i]);
      }
      m_rows = std::move(sorted);
      m_positions = std::move(positions);
    }
    return SourceRows{std::move(m_rows), m_read, std::move(m_tokens), std::move(m_positions), std::move(m_creates)};
  }

 private:
  const PassContext& m_ctx;
  PassMode m_mode;
  KnownRows& m_known;
  bool m_settle;
  bool m_plain;  // a dry run of the whole source: plain creates are kept apart (PlainCreates)
  PlainCreates m_creates;
  std::optional<RowMapper> m_mapper;
  MappedRow m_current;  // the row being mapped
  std::optional<Error> m_mapping_error;
  SourceRead m_read = SourceRead::complete;
  std::optional<std::size_t> m_id_index;  // of the ID column, when the source stores new IDs
  std::size_t m_count = 0;
  std::vector<MappedRow> m_rows;
  std::vector<std::size_t> m_positions;  // of m_rows in the read
  std::vector<IdLessRow> m_id_less;
  std::vector<std::pair<std::size_t, MappedRow>> m_unsettled;
  std::vector<state::CellsToken> m_tokens;
};

}  // namespace

Result<SourceRows> read_source(const PassContext& ctx, PassMode mode, bool changes_only, KnownRows& known,
                               bool settle) {
  ReadSink sink(ctx, mode, known, settle);
  if (auto read = ctx.connector.read(sink, changes_only); !read) {
    if (sink.mapping_error()) return std::unexpected(*sink.mapping_error());
    return std::unexpected(read.error().with_context(ctx.source.name));
  }
  return sink.finish();
}


}  // namespace pinsync::agent
