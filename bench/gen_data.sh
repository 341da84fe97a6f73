#!/usr/bin/env bash
# Generates benchmark data on stdout, N valid approved event rows with distinct IDs, titles,
# dates, times and venues, in the shapes the sandbox's control routes and pinsync read:
#   bench/gen_data.sh csv N        a CSV file (header + N rows) for a `kind: csv` source
#   bench/gen_data.sh sheet N      a PUT /_sandbox/sheets/{id} body: one public sheet "Events"
#   bench/gen_data.sh airtable N   a PUT /_sandbox/airtable/{base}/{table} body
#   bench/gen_data.sh yardstick N  a CSV in the shape bench/naive_sync.py reads (ID,OK,Title,
#                                  Start,Cat,City; Start an ISO local time, Cat a slug)
#   bench/gen_data.sh KIND N FIRST rows FIRST..FIRST+N-1 instead of 1..N (default FIRST=1), so a
#                                  large set split into slices is the same rows as the whole
# Columns: Event ID, Approved, Title, Date, Start, End, Category, City, Venue. Same N, same data.
set -euo pipefail

kind="${1:-}"
n="${2:-}"
first="${3:-1}"
if [[ ! "$n" =~ ^[0-9]+$ ]] || [[ ! "$first" =~ ^[1-9][0-9]*$ ]] ||
  [[ "$kind" != csv && "$kind" != sheet && "$kind" != airtable && "$kind" != yardstick ]]; then
  echo "usage: $0 csv|sheet|airtable|yardstick N [FIRST]" >&2
  exit 2
fi

awk -v kind="$kind" -v n="$n" -v first="$first" '
function pad(x, w) { return sprintf("%0" w "d", x) }
BEGIN {
  split("Jazz Stand-up Markets Theatre", cats, " ")
  split("New York|Valencia|London|Berlin", cities, "|")
  split("8:00 PM|9:30 PM|7:15 PM|10:00 AM", starts, "|")
  split("11:00 PM|11:45 PM|10:00 PM|1:00 PM", ends, "|")
  split("music comedy markets theatre", slugs, " ")
  if (kind == "csv") print "Event ID,Approved,Title,Date,Start,End,Category,City,Venue"
  if (kind == "yardstick") print "ID,OK,Title,Start,Cat,City"
  if (kind == "sheet") {
    printf "{\"time_zone\":\"America/New_York\",\"public\":true,\"grid\":{\"Events\":{\"rows\":%d,\"columns\":12}},", n + 1
    printf "\"sheets\":{\"Events\":[[\"Event ID\",\"Approved\",\"Title\",\"Date\",\"Start\",\"End\",\"Category\",\"City\",\"Venue\"]"
  }
  if (kind == "airtable") {
    printf "{\"fields\":{\"Approved\":\"checkbox\",\"When\":\"dateTime\",\"Genre\":\"multipleSelects\"},\"records\":["
  }
  for (i = first; i < first + n; i++) {
    id = "B-" pad(i, 6)
    # Dates cycle through 2026-2027 (day 1-28 so every month has them).
    date = sprintf("%d-%02d-%02d", 2026 + int(i / 336) % 2, 1 + int(i / 28) % 12, 1 + i % 28)
    k = 1 + i % 4
    title = "Show " i
    venue = "Venue " (i % 997)
    if (kind == "yardstick") {
      printf "%s,yes,%s at %s,%sT%02d:%02d:00,%s,Valencia\n", id, title, venue, date, 10 + i % 12, (i * 7) % 60, slugs[k]
    } else if (kind == "csv") {
      printf "%s,yes,%s,%s,%s,%s,%s,%s,%s\n", id, title, date, starts[k], ends[k], cats[k], cities[k], venue
    } else if (kind == "sheet") {
      printf ",[\"%s\",\"TRUE\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\",\"%s\"]", id, title, date, starts[k], ends[k], cats[k], cities[k], venue
    } else {
      # Airtable dateTime is UTC; 18:00Z is evening in Europe, afternoon in New York.
      printf "%s{\"id\":\"rec%s\",\"fields\":{\"Title\":\"%s\",\"When\":\"%sT18:00:00.000Z\",\"Genre\":[\"%s\"],\"City\":\"%s\",\"Approved\":true}}", \
        (i > first ? "," : ""), pad(i, 14), title, date, cats[k], cities[k]
    }
  }
  if (kind == "sheet") print "]}}"
  if (kind == "airtable") print "]}"
}'
