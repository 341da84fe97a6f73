// The Airtable Web API's wire formats as the Airtable connector reads and writes them:
// cell values to strings, list URLs and formulas, second-precision UTC timestamps, and
// error envelopes turned into messages that name the cause and the fix. Pure functions.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <simdjson.h>

#include "connectors/airtable_settings.h"
#include "core/error.h"

namespace pinsync::connectors {

// Returns the text the mapper reads for one field value of a record (cellFormat=json):
// strings as they are; numbers in shortest round-trip form ("42.1", "0", "2083333");
// true → "true", false/null → ""; arrays (multiple selects, lookups, linked record ids,
// attachments, collaborators) → their non-empty elements' texts joined with `separator`,
// or the first one when `arrays` is ArrayJoin::first (nested arrays are flattened);
// objects → a collaborator's name (else e-mail), a barcode's text, an attachment's or
// button's url, a button's label; error results ({"specialValue":…}, {"error":…}) → "".
std::string airtable_cell_text(simdjson::dom::element value, ArrayJoin arrays, std::string_view separator);

// Returns "{base_url}/v0/{base_id}/{table}" with base_id and table percent-encoded and
// any trailing '/' of base_url dropped.
std::string airtable_table_url(const AirtableSettings& settings);

// Returns the list-records URL for one page: pageSize=100, then view, filterByFormula
// (when `formula` is not empty), one fields%5B%5D per name in `fields`, then offset (when
// not empty); every value percent-encoded (space as %20, '/' of an offset as %2F).
std::string airtable_list_url(const AirtableSettings& settings, std::string_view formula,
                              const std::vector<std::string>& fields, std::string_view offset);

// Returns `a` AND `b` as one formula: "AND(a, b)", or the one that is not empty, or "".
std::string airtable_and(std::string_view a, std::string_view b);

// Returns the filter for records modified at or after `since`, inclusive although
// Airtable compares whole seconds: IS_AFTER(LAST_MODIFIED_TIME(), 'since − 1 s'), the
// time written as 2026-06-12T17:59:59.000Z.
std::string airtable_modified_since_formula(std::chrono::sys_seconds since);

// Reads an Airtable timestamp "2026-06-12T18:00:00.000Z" (fraction optional, 'Z'
// required). Returns the instant truncated to the second, or Error{invalid} naming the
// text.
Result<std::chrono::sys_seconds> airtable_parse_timestamp(std::string_view text);
// Formats an instant as Airtable writes timestamps: 2026-06-12T18:00:00.000Z.
std::string airtable_format_timestamp(std::chrono::sys_seconds instant);

// What an Airtable error response said: the HTTP status, the envelope's type (""
// when the body had none) and message ("" when absent). Accepts the three envelope
// shapes: {"error":{"type","message"}}, {"error":{"type"}} and {"error":"NOT_FOUND"},
// and the 429 shape quoted in reports: {"errors":[{"error":"RATE_LIMIT_REACHED",…}]}.
struct AirtableApiError {
  long status = 0;
  std::string type;
  std::string message;
};
AirtableApiError airtable_parse_error(long status, std::string_view body);

enum class AirtableOperation { read, write };

// Returns the Error for an error response, its message led by "airtable BASE/TABLE",
// then what Airtable answered, then the fix:
// 401 → auth (check the token); 403 → auth (the token's base access and scopes; on a
// write, data.records:write); 404 / TABLE_NOT_FOUND → not_found (check table and
// base_id); INVALID_FILTER_BY_FORMULA → config quoting `formula`; VIEW_NAME_NOT_FOUND →
// config (check view); UNKNOWN_FIELD_NAME → config (check the field names);
// INVALID_VALUE_FOR_COLUMN → config (write-back fields must be editable text);
// LIST_RECORDS_ITERATOR_NOT_AVAILABLE (after the restarts) → transient;
// 429 → rate_limited with retry_after = settings.rate_limit_wait; 5xx → transient;
// anything else → the kind http::error_kind_for gives the status for a request built from
// settings (config for a plain 4xx), with the type and message. The token never appears
// in it.
Error airtable_error(const AirtableSettings& settings, const AirtableApiError& api, AirtableOperation op,
                     std::string_view formula);

// Returns "airtable BASE/TABLE": the lead of every message of the connector (the source's
// own name is put first by whoever reports the message).
std::string airtable_source_name(const AirtableSettings& settings);

}  // namespace pinsync::connectors
