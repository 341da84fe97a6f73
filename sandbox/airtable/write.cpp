// The record writes of AirtableApi (see api.h): create (POST), update (PATCH), replace (PUT)
// and delete (DELETE), each at most 10 records and all or nothing, with the field checks
// of fields.cpp and the select-option rule of choices.cpp.
#include <algorithm>

#include <Poco/JSON/Array.h>

#include "sandbox/airtable/api.h"
#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

namespace {

constexpr std::string_view k_invalid_request = "Invalid request: parameter validation failed. Check your request data.";
constexpr std::size_t k_max_records = 10;

Response json_ok(std::string body) {
  Response r{200, {}, std::move(body)};
  r.content_type = "application/json; charset=utf-8";
  return r;
}

// One record of a write request: its id (empty for a create) and the fields sent.
struct Incoming {
  std::string id;
  Poco::JSON::Object::Ptr fields;
};

}  // namespace

Response AirtableApi::write_records(const Request& req, AirtableTable& table, const std::string& single_id, WriteMode mode) {
  auto body = parse_json_object(req.body);
  if (!body) return airtable_error(400, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
  const Poco::JSON::Object& b = **body;
  const bool create = mode == WriteMode::create;
  // A create takes {"records":[…]} or one {"fields":{…}}; an update names its records.
  const bool batch = create ? b.has("records") : single_id.empty();
  for (const std::string& key : b.getNames()) {
    bool known = key == "typecast" || key == "returnFieldsByFieldId" || (batch ? key == "records" : key == "fields");
    if (key == "performUpsert" && !create && batch) {
      return airtable_error(422, "INVALID_REQUEST_UNKNOWN", "performUpsert is not emulated by the sandbox");
    }
    if (!known) return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);
  }
  auto flag = [&](const char* key) -> std::optional<bool> {
    if (!b.has(key)) return false;
    if (json_type(b.get(key)) != JsonType::boolean) return std::nullopt;
    return b.get(key).extract<bool>();
  };
  auto typecast = flag("typecast");
  auto by_id = flag("returnFieldsByFieldId");
  if (!typecast || !by_id) return airtable_error(422, "INVALID_REQUEST_UNKNOWN", k_invalid_request);

  const std::string verb = create ? "created" : "updated";
  std::vector<Incoming> incoming;
  if (batch) {
    auto records = b.getArray("records");
    if (!records || records->size() == 0) {
      return airtable_error(422, "INVALID_RECORDS", "Invalid records: expected a non-empty array of records");
    }
    if (records->size() > k_max_records) {
      return airtable_error(422, "INVALID_RECORDS", "A maximum of 10 records can be " + verb +
                                                         " per request but you have provided " +
                                                         std::to_string(records->size()) + ".");
    }
    for (std::size_t i = 0; i < records->size(); ++i) {
      auto rec = records->getObject(static_cast<unsigned>(i));
      bool has_id = rec && rec->has("id");
      bool id_ok = create ? !has_id : has_id && json_type(rec->get("id")) == JsonType::string;
      if (!rec || !id_ok || !rec->getObject("fields")) {
        return airtable_error(422, "INVALID_RECORDS",
                              create ? "Invalid records: each record to create needs a \"fields\" object and no \"id\""
                                     : "Invalid records: each record needs an \"id\" and a \"fields\" object");
      }
      incoming.push_back({create ? std::string() : rec->getValue<std::string>("id"), rec->getObject("fields")});
    }
  } else {
    if (!b.getObject("fields")) {
      return airtable_error(422, "INVALID_REQUEST_MISSING_FIELDS", "Could not find field \"fields\" in the request body");
    }
    incoming.push_back({single_id, b.getObject("fields")});
  }

  // All or nothing: check every record (and every new select option) before changing any.
  std::vector<std::vector<std::string>> choices_before;
  for (const AirtableField& f : table.fields) choices_before.push_back(f.choices);
  auto refuse = [&](int status, std::string_view type, const std::string& message) {
    for (std::size_t i = 0; i < choices_before.size(); ++i) table.fields[i].choices = choices_before[i];
    return airtable_error(status, type, message);
  };
  const bool may_create_options = *typecast && m_settings.user_role == AirtableRole::creator;
  std::vector<std::map<std::size_t, std::optional<CellValue>>> planned;
  for (const Incoming& in : incoming) {
    if (!create && !table.find(in.id)) {
      if (!batch) return refuse(404, "MODEL_ID_NOT_FOUND", "Record not found");
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
      auto cell = normalize_cell(f.type, f.name, in.fields->get(name), *typecast ? Typecast::on : Typecast::off);
      if (!cell) return refuse(422, "INVALID_VALUE_FOR_COLUMN", cell.error());
      if (*cell) {
        if (auto ok = check_choices(f, **cell, may_create_options); !ok) {
          return refuse(422, "INVALID_MULTIPLE_CHOICE_OPTIONS", ok.error());
        }
      }
      cells[*index] = *cell;
    }
    if (mode == WriteMode::replace) {
      // PUT clears every editable field it does not name.
      for (std::size_t i = 0; i < table.fields.size(); ++i) {
        if (!table.fields[i].type.computed && !cells.count(i)) cells[i] = std::nullopt;
      }
    }
  }

  AirtableTime at = now();
  std::vector<std::string> ids;
  for (std::size_t i = 0; i < incoming.size(); ++i) {
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
      rec = table.find(incoming[i].id);
    }
    for (const auto& [index, cell] : planned[i]) set_cell(*rec, index, cell, at);
    ids.push_back(rec->id);
  }
  FieldKeys keys = *by_id ? FieldKeys::ids : FieldKeys::names;
  JsonOut out;
  if (!batch) {
    write_record(out, table, *table.find(ids.front()), keys, {});
    return json_ok(out.take());
  }
  out.begin_object().key("records").begin_array();
  for (const std::string& id : ids) write_record(out, table, *table.find(id), keys, {});
  out.end_array().end_object();
  return json_ok(out.take());
}

Response AirtableApi::delete_records(const Request& req, AirtableTable& table, const std::string& single_id) {
  if (!single_id.empty()) {
    if (!table.find(single_id)) return airtable_error(404, "MODEL_ID_NOT_FOUND", "Record not found");
    std::erase_if(table.records, [&](const AirtableRecord& r) { return r.id == single_id; });
    JsonOut out;
    out.begin_object().key("deleted").value(true).key("id").value(single_id).end_object();
    return json_ok(out.take());
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
  return json_ok(out.take());
}

}  // namespace pinsync_sandbox
