// One Google Sheets cell as the emulator stores it: what a person typed (USER_ENTERED) or a
// client wrote (RAW), turned into the typed value Sheets keeps (number, boolean, text, error,
// date/time serial with its display format, formula), and rendered back per
// valueRenderOption × dateTimeRenderOption exactly as the Sheets API v4 does.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "sandbox/http/json_util.h"

namespace pinsync_sandbox {

enum class CellKind { empty, number, boolean, text, error };

// The display format a value got from how it was entered (Sheets' "automatic" formats).
enum class CellFormat {
  general,    // 12.5 → "12.5"
  percent,    // typed "50%" → 0.5, shown "50%"
  currency,   // typed "$12.50" → 12.5, shown "$12.50"
  date,       // serial, shown per date_style
  time,       // serial fraction, shown per time_style
  date_time,  // serial with fraction, shown as date then time
  grouped,    // typed "1,234.5" → 1234.5, shown with thousands separators and the typed decimals
  duration,   // typed "25:00" → 1.0416… (days), shown "25:00:00"
};

// "2026-06-12", "6/12/2026" or "6/12" (typed without a year: this year), kept as entered.
enum class DateStyle { iso, us, us_month_day };
enum class TimeStyle { h24, h12 };  // "20:00:00" or "8:00 PM"

struct Cell {
  CellKind kind = CellKind::empty;
  double number = 0;          // number, percent, currency or date/time serial
  bool boolean = false;
  std::string text;           // text, or the error literal ("#REF!")
  CellFormat format = CellFormat::general;
  DateStyle date_style = DateStyle::us;
  TimeStyle time_style = TimeStyle::h24;
  bool time_seconds = true;   // show seconds in a 12-hour time
  int decimals = 0;           // percent decimals as typed
  std::string formula;        // non-empty: "=…" as typed; kind/number hold its computed value
  std::string entered_json;   // the value as typed/written, JSON text, for GET /_sandbox/sheets

  bool empty() const { return kind == CellKind::empty; }
};

enum class ValueRender { formatted, unformatted, formula };
enum class DateRender { serial_number, formatted_string };

// Returns the cell Sheets makes of `typed` entered in the UI (or written with USER_ENTERED):
// "" → empty; "'123" → text "123" (a leading apostrophe forces text); "=…" → formula
// (arithmetic on numbers is evaluated, anything else shows "#ERROR!"); "#REF!"-style literals
// → error; TRUE/FALSE (any case) → boolean; "12.5", "-3", "1e3" → number; "50%" → percent;
// "$12.50" → currency; "1,234.5" → grouped number; "2026-06-12", "6/12/2026", "6/12" (this
// year, UTC) (optionally followed by a time) → date/date_time; "8:00 PM", "20:00", "20:00:15" →
// time; "25:00", "36:15:00" → duration; anything else → text.
Cell cell_from_user_entered(std::string_view typed);

// Returns the cell RAW input makes of a string: "" → empty, anything else text, verbatim.
Cell cell_from_raw_text(std::string_view text);

// Returns a number cell (general format) / a boolean cell.
Cell cell_from_number(double n);
Cell cell_from_bool(bool b);

// Writes the cell's value as the API returns it under the given options (an empty cell as "").
void render_cell(JsonOut& out, const Cell& cell, ValueRender value_render, DateRender date_render);

// Returns the serial number of a calendar date: days since 1899-12-30 (2020-01-01 → 43831), or
// nullopt when the date does not exist (2026-02-30).
std::optional<double> date_to_serial(int year, unsigned month, unsigned day);

// Returns the display text of a number in Sheets' automatic format: 53 → "53", 0.12 → "0.12",
// 1/3 → "0.3333333333", 1e20 → "1E+20".
std::string format_general_number(double n);

}  // namespace pinsync_sandbox
