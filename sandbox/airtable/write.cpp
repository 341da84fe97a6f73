// The record writes of AirtableApi (see api.h): create (POST), update (PATCH), replace (PUT)
// and delete (DELETE), each at most 10 records and all or nothing, with the field checks
// of fields.cpp and the select-option rule of choices.cpp.
#include <algorithm>

#include <Poco/JSON/Array.h>

#include "sandbox/airtable/api.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::size_t k_max_records = 10;

// One record of a write request: its id (empty for a create) and the fields sent.
struct Incoming {
  std::string id;
  Poco::JSON::Object::Ptr fields;
};

struct WriteRequest {
  bool batch = false;  // {"records":[…]} rather than one {"fields":{…}}
  bool typecast = false;
  bool by_id = false;  // returnFieldsByFieldId
  std::vector<Incoming> records;
};

using PlannedCells = std::vector<std::map<std::size_t, std::optional<CellValue>>>;

// Reads a PATCH / PUT / POST body. Returns the request, or Airtable's 400/422 for the body.
std::expected<WriteRequest, Response> read_request(const Request& req, const std::string& single_id, bool create) {
  auto body = parse_json_object(req.body);
  if (!body) return std::unexpected(airtable_error(400, "INVALID_REQUEST_UNKNOWN", k_invalid_request));
  const Poco::JSON::Object& b = **body;
  WriteRequest out;
  // A create takes {"records":[…]} or one {"fields":{…}}; an update names its records.
  out.batch = create ? b.has("records") : single_id.empty();
  for (const std::string& key : b.getNames()) {
    bool known = key == "typecast" || key == "returnFieldsByFieldId" || (out.batch ? key == "records" : key == "fields");
    if (key == "performUpsert" && !create && out.batch) {
      return std::unexpected(airtable_error(422, "INVALID_REQUEST_UNKNOWN", "performUpsert is not emulated by the sandbox"));
    }
    if (!known) return std::unexpected(airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request));
  }
  for (auto [key, into] : {std::pair{"typecast", &out.typecast}, std::pair{"returnFieldsByFieldId", &out.by_id}}) {
    if (!b.has(key)) continue;
    if (json_type(b.get(key)) != JsonType::boolean) return std::unexpected(airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request));
    *into = b.get(key).extract<bool>();
  }
  if (!out.batch) {
    if (!b.getObject("fields")) {
      return std::unexpected(airtable_error(422, "INVALID_REQUEST_MISSING_FIELDS", "Could not find field \"fields\" in the request body"));
    }
    out.records.push_back({single_id, b.getObject("fields")});
    return out;
  }
  auto records = b.getArray("records");
  if (!records || records->size() == 0) {
    return std::unexpected(airtable_error(422, "INVALID_RECORDS", "Invalid records: expected a non-empty array of records"));
  }
  if (records->size() > k_max_records) {
    return std::unexpected(airtable_error(422, "INVALID_RECORDS", std::string("A maximum of 10 records can be ") +
                                                                      (create ? "created" : "updated") +
                                                                      " per request but you have provided " +
                                                                      std::to_string(records->size()) + "."));
  }
  for (std::size_t i = 0; i < records->size(); ++i) {
    auto rec = records->getObject(static_cast<unsigned>(i));
    bool has_id = rec && rec->has("id");
    bool id_ok = create ? !has_id : has_id && json_type(rec->get("id")) == JsonType::string;
    if (!rec || !id_ok || !rec->getObject("fields")) {
      return std::unexpected(airtable_error(422, "INVALID_RECORDS",
                                            create ? "Invalid records: each record to create needs a \"fields\" object and no \"id\""
                                                   : "Invalid records: each record needs an \"id\" and a \"fields\" object"));
    }
    out.records.push_back({create ? std::string() : rec->getValue<std::string>("id"), rec->getObject("fields")});
  }
  return out;
}

// Checks every record of `w` against `table` (ids, field names, computed fields, types, select
// options) and returns the cells to set per record, or the error. New select options are added
// to the table's fields only when every record passes.
std::expected<PlannedCells, Response> plan_cells(AirtableTable& table, const WriteRequest& w, bool create, bool replace,
                                                 bool may_create_options) {
  std::vector<std::vector<std::string>> choices_before;
  for (const AirtableField& f : table.fields) choices_before.push_back(f.choices);
  auto refuse = [&](int status, std::string_view type, const std::string& message) {
    for (std::size_t i = 0; i < choices_before.size(); ++i) table.fields[i].choices = choices_before[i];
    return std::unexpected(airtable_error(status, type, message));
  };
  PlannedCells planned;
  for (const Incoming& in : w.records) {
    if (!create && !table.find(in.id)) {
      if (!w.batch) return refuse(404, "MODEL_ID_NOT_FOUND", "Record not found");
      return refuse(422, "ROW_DOES_NOT_EXIST", "Record ID " + in.id + " does not exist in this table");
    }
    auto& cells = planned.emplace_back();
    for (const std::string& name : in.fields->getNames()) {
      auto index = table.field_index(name);
      if (!index) return refuse(422, "UNKNOWN_FIELD_NAME", "Unknown field name: \"" + name + "\"");
      AirtableField& f = table.fields[*index];
      if (f.type.computed) {
        return refuse(422, "INVALID_VALUE_FOR_COLUMN", "Field \"" + f.name + "\" cannot accept a value because the field is computed");
      }
      auto cell = normalize_cell(f.type, f.name, in.fields->get(name), w.typecast ? Typecast::on : Typecast::off);
      if (!cell) return refuse(422, "INVALID_VALUE_FOR_COLUMN", cell.error());
      if (*cell) {
        if (auto ok = check_choices(f, **cell, may_create_options); !ok) return refuse(422, "INVALID_MULTIPLE_CHOICE_OPTIONS", ok.error());
      }
      cells[*index] = *cell;
    }
    if (replace) {
      // PUT clears every editable field it does not name.
      for (std::size_t i = 0; i < table.fields.size(); ++i) {
        if (!table.fields[i].type.computed && !cells.count(i)) cells[i] = std::nullopt;
      }
    }
  }
  return planned;
}

}  // namespace

Response AirtableApi::write_records(const Request& req, AirtableTable& table, const std::string& single_id, WriteMode mode) {
  const bool create = mode == WriteMode::create;
  auto w = read_request(req, single_id, create);
  if (!w) return w.error();
  // All or nothing: every record (and every new select option) is checked before any change.
  auto planned = plan_cells(table, *w, create, mode == WriteMode::replace,
                            w->typecast && m_settings.user_role == AirtableRole::creator);
  if (!planned) return planned.error();
  AirtableTime at = now();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < w->records.size(); ++i) {
    AirtableRecord* rec = nullptr;
    if (create) {
      AirtableRecord fresh;
      do fresh.id = random_airtable_id("rec", m_rng);
      while (table.find(fresh.id));
      fresh.created = at;
      fresh.last_modified = at;
      table.records.push_back(std::move(fresh));
      rec = &table.records.back();
    } else {
      rec = table.find(w->records[i].id);
    }
    for (const auto& [index, cell] : (*planned)[i]) set_cell(*rec, index, cell, at);
    ids.push_back(rec->id);
  }
  FieldKeys keys = w->by_id ? FieldKeys::ids : FieldKeys::names;
  JsonOut out;
  if (!w->batch) {
    write_record(out, table, *table.find(ids.front()), keys, {});
    return airtable_ok(out.take());
  }
  out.begin_object().key("records").begin_array();
  for (const std::string& id : ids) write_record(out, table, *table.find(id), keys, {});
  out.end_array().end_object();
  return airtable_ok(out.take());
}

Response AirtableApi::delete_records(const Request& req, AirtableTable& table, const std::string& single_id) {
  if (!single_id.empty()) {
    if (!table.find(single_id)) return airtable_error(404, "MODEL_ID_NOT_FOUND", "Record not found");
    std::erase_if(table.records, [&](const AirtableRecord& r) { return r.id == single_id; });
    JsonOut out;
    out.begin_object().key("deleted").value(true).key("id").value(single_id).end_object();
    return airtable_ok(out.take());
  }
  const std::string too_many = "\"records\" must be an array of up to 10 record IDs.";
  std::vector<std::string> ids;
  for (const auto& [name, value] : req.query_list) {
    if (name == "records[]") {
      ids.push_back(value);
    } else if (name == "records") {
      return airtable_error(422, "INVALID_RECORDS", too_many);
    } else {
      return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
    }
  }
  if (ids.empty() || ids.size() > k_max_records) return airtable_error(422, "INVALID_RECORDS", too_many);
  for (const std::string& id : ids) {
    if (!table.find(id)) return airtable_error(422, "ROW_DOES_NOT_EXIST", "Record ID " + id + " does not exist in this table");
  }
  std::erase_if(table.records, [&](const AirtableRecord& r) { return std::find(ids.begin(), ids.end(), r.id) != ids.end(); });
  JsonOut out;
  out.begin_object().key("records").begin_array();
  for (const std::string& id : ids) out.begin_object().key("deleted").value(true).key("id").value(id).end_object();
  out.end_array().end_object();
  return airtable_ok(out.take());
}

}  // namespace pinsync_sandbox
