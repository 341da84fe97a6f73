// Reading one source for a pass: the rows go from the connector through the mapper one at
// a time, and those read again exactly as stored — settled — are counted and dropped at
// once, so a no-change pass over a large source holds one digest per stored row instead of
// its cells, its payloads and its records. The plan sees every other row.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "agent/mapping/mapper.h"
#include "agent/sync/pass_types.h"
#include "agent/sync/planner.h"
#include "core/block_arena.h"
#include "core/hash.h"
#include "state/store.h"

namespace pinsync::agent {

// The position of each digest by source ID. Open addressing over one array: at 100k rows
// a node-based map's allocations and cache misses were a tenth of a no-change pass.
class IdIndex {
 public:
  // The slots are taken from `arena`, which must outlive the index.
  IdIndex(const state::RowDigests& digests, BlockArena& arena);
  std::optional<std::uint32_t> find(std::string_view id) const;

 private:
  static constexpr std::uint32_t k_empty = 0xFFFFFFFF;
  struct Slot {
    std::uint32_t tag = 0;  // the hash's upper half: most mismatches end here
    std::uint32_t index = k_empty;
  };
  const state::RowDigests& m_digests;
  std::vector<Slot, ArenaAllocator<Slot>> m_slots;
  std::size_t m_mask = 0;
};

// The stored rows of a source as a pass reads it: each row's digest, found by ID, and
// what the read made of it.
class KnownRows {
 public:
  explicit KnownRows(state::RowDigests digests);

  // Whether a row of the retry queue is due: then a read of only the changes would miss it.
  bool retry_due(std::int64_t now) const;
  // Takes the mapped row read at `position`. Returns true when it is settled: approved,
  // valid, stored synced with an event, the same payload at the same place, its ID seen
  // first. A later row (approved or not) with an ID seen before unsettles the first, which
  // `unsettled` gets back as a MappedRow without payload: two rows with one ID are both
  // invalid.
  bool settle(const MappedRow& row, std::size_t position, std::vector<std::pair<std::size_t, MappedRow>>& unsettled);
  // Settles a row without mapping it: `identity` (RowMapper::identify) is approved, its ID
  // seen first, stored synced with an event at the same place, and the store's cells token
  // equals the one the mapper makes of the row and the stored payload hash. Returns false,
  // changing nothing, otherwise (the row is then mapped and settle()d).
  bool settle_unmapped(const MappedRow& identity, const connectors::Row& row, const RowMapper& mapper,
                       std::size_t position);
  // The cells token the store holds for the row with this ID, if any.
  std::optional<Digest128> cells_token(std::string_view source_id) const;
  long settled() const { return m_settled; }
  bool is_settled(std::string_view source_id) const;
  // The ID of the settled row whose event is `event`, or nullopt (PlanOptions::settled_owner).
  std::optional<std::string_view> settled_owner(std::int64_t event);
  std::size_t size() const { return m_digests.size(); }
  // Whether the store has a row with this ID.
  bool knows(std::string_view source_id) const { return m_by_id.find(source_id).has_value(); }

 private:
  enum class Seen : std::uint8_t { no, settled, kept };
  // The digest with this ID. Rows mostly come in the order of the digests (the store's, by
  // ID, is often the source's too): the one after the last found is tried before the index.
  std::optional<std::uint32_t> lookup(std::string_view id);

  state::RowDigests m_digests;
  BlockArena m_arena;  // for the tables below: as the digests', few page faults at 100k rows
  IdIndex m_by_id;
  std::vector<Seen, ArenaAllocator<Seen>> m_seen;
  std::vector<std::size_t, ArenaAllocator<std::size_t>> m_position;  // of the row that settled it
  std::uint32_t m_next = 0;  // lookup's guess
  long m_settled = 0;
  std::optional<std::unordered_map<std::int64_t, std::string_view>> m_owner_of;  // built on first use
};

// The rows a dry run can only create — approved, valid, with an ID that neither the store
// nor an earlier row of the read has, and no event-ID cell — kept as their place and ID
// alone: a plan of a new source of a million rows holds these instead of a mapped row, a
// plan item and its payload's hash each. The IDs of the other rows that the store does not
// know are remembered too, so that a later row with the same ID gives the first back, to be
// planned beside it (two rows with one ID are both invalid).
class PlainCreates {
 public:
  struct Row {
    std::string_view row_ref;
    std::string_view source_id;
    std::size_t position;  // in the read
    bool given_back;       // a later row had its ID: it went to the plan
  };

  // Keeps `row` (read at `position`) when it is a plain create; else remembers its ID. The
  // caller gives back (give_back) a row its ID may have taken first.
  bool take(const MappedRow& row, std::size_t position);
  // The plain create with this ID as a mapped row without payload (approved, no errors),
  // with its position, and marks it given back; nullopt when none is kept with this ID.
  std::optional<std::pair<std::size_t, MappedRow>> give_back(std::string_view source_id);
  // The kept rows (given back ones too, marked so), in the order of the read.
  const std::deque<Row>& rows() const { return m_rows; }
  // How many are kept and not given back.
  std::size_t size() const { return m_kept; }

 private:
  struct Slot {
    std::uint32_t tag = 0;
    std::uint32_t index = k_none;  // in m_ids
  };
  struct Id {
    std::string_view id;
    std::uint32_t row = k_none;  // in m_rows, or k_none: only seen
  };
  static constexpr std::uint32_t k_none = 0xFFFFFFFF;
  // The entry with this ID, added (as seen only) when it is new; `added` says which.
  Id& entry(std::string_view source_id, bool& added);
  void grow();
  std::string_view keep(std::string_view text);

  std::unique_ptr<BlockArena> m_text = std::make_unique<BlockArena>();  // the IDs' and places' characters
  std::deque<Id> m_ids;
  std::vector<Slot> m_slots = std::vector<Slot>(1024);
  std::deque<Row> m_rows;
  std::size_t m_kept = 0;
};

// The mapped rows of one read the plan needs (every row but the settled ones, in source
// order), and whether the read saw the whole source.
struct SourceRows {
  std::vector<MappedRow> rows;
  SourceRead read = SourceRead::complete;
  // Mapped rows whose stored cells token is missing or old (new, edited, a first pass, a
  // changed config): stored after the pass's writes, the next pass settles them unmapped.
  std::vector<state::CellsToken> tokens;
  // Where each of `rows` was in the read (their order).
  std::vector<std::size_t> positions;
  // A dry run's plain creates (not in `rows`); empty otherwise.
  PlainCreates creates;

  // The position in the read of `row`, one of `rows`.
  std::size_t position_of(const MappedRow& row) const { return positions[static_cast<std::size_t>(&row - rows.data())]; }
};

// Reads and maps the source as the connector hands its rows over, settling rows against
// `known` when `settle` (a forced pass and a resync of named rows plan every row). Gives
// approved rows without an ID one (written into the source; a stand-in in a dry run) and
// maps those again. Returns the rows, the mapper's Error{config} for a header without a
// mapped column, or the connector's error with the source's name.
Result<SourceRows> read_source(const PassContext& ctx, PassMode mode, bool changes_only, KnownRows& known,
                               bool settle);

}  // namespace pinsync::agent
