// Reading an environment file by systemd's EnvironmentFile= rules (docs/reference/env-file.md).
#include <doctest/doctest.h>

#include "tests/support/checks.h"

#include <map>
#include <string>

#include "agent/config/env_file.h"

namespace pinsync::agent {

namespace {

std::map<std::string, std::string> vars_of(std::string_view text) {
  const auto file = parse_env_file(text, "pinsync.env");
  REQUIRE_MESSAGE(file.has_value(), file.error().message);
  std::map<std::string, std::string> out(file->variables.begin(), file->variables.end());
  REQUIRE(out.size() == file->variables.size());
  return out;
}

}  // namespace

TEST_CASE("plain assignments, comments, blank lines and spaces around the name and the value") {
  const auto vars = vars_of(
      "# the API key\n"
      "; also a comment\n"
      "\n"
      "PINNED_EVENTS_API_KEY=pk_live_1\n"
      "  SPACED  =   value with inner  spaces   \n"
      "EMPTY=\n"
      "LAST=no newline at the end");
  CHECK(vars.at("PINNED_EVENTS_API_KEY") == "pk_live_1");
  CHECK(vars.at("SPACED") == "value with inner  spaces");
  CHECK(vars.at("EMPTY").empty());
  CHECK(vars.at("LAST") == "no newline at the end");
  CHECK(vars.size() == 4);
}

TEST_CASE("quoted values keep their spaces; quotes and escapes follow the shell's rules") {
  const auto vars = vars_of(
      "DOUBLE=\"  two words  \"\n"
      "SINGLE='a \"quoted\" $word \\n kept as written'\n"
      "ESCAPED=\"a \\\"quote\\\", a \\\\ backslash, \\$HOME, \\` and \\n kept\"\n"
      "JOINED='one'\"two\"three\n"
      "HASH=abc#not-a-comment\n"
      "UNQUOTED=a\\ b\\\\c\n");
  CHECK(vars.at("DOUBLE") == "  two words  ");
  CHECK(vars.at("SINGLE") == "a \"quoted\" $word \\n kept as written");
  CHECK(vars.at("ESCAPED") == "a \"quote\", a \\ backslash, $HOME, ` and \\n kept");
  CHECK(vars.at("JOINED") == "onetwothree");
  CHECK(vars.at("HASH") == "abc#not-a-comment");
  CHECK(vars.at("UNQUOTED") == "a b\\c");
}

TEST_CASE("a backslash at the end of a line continues the value; quotes may span lines") {
  const auto vars = vars_of(
      "LONG=first\\\n"
      "second\n"
      "QUOTED=\"line one\n"
      "line two\"\n"
      "AFTER=1\n");
  CHECK(vars.at("LONG") == "firstsecond");
  CHECK(vars.at("QUOTED") == "line one\nline two");
  CHECK(vars.at("AFTER") == "1");
}

TEST_CASE("the last assignment of a name wins; CRLF line ends are read like LF") {
  const auto vars = vars_of("TOKEN=old\r\nTOKEN=new\r\nOTHER=x\r\n");
  CHECK(vars.at("TOKEN") == "new");
  CHECK(vars.at("OTHER") == "x");
}

TEST_CASE("names that are not variable names and lines without '=' are ignored with their line, never their value") {
  const auto file = parse_env_file(
      "GOOD=1\n"
      "export PINNED_EVENTS_API_KEY=pk_secret_export\n"
      "1BAD=pk_secret_digit\n"
      "pk_secret_pasted_alone\n"
      "ALSO_GOOD=2\n",
      "/etc/pinsync/pinsync.env");
  REQUIRE(file.has_value());
  REQUIRE(file->variables.size() == 2);
  CHECK(file->variables[0] == std::pair<std::string, std::string>{"GOOD", "1"});
  CHECK(file->variables[1] == std::pair<std::string, std::string>{"ALSO_GOOD", "2"});
  REQUIRE(file->ignored.size() == 3);
  CHECK_CONTAINS(file->ignored[0], "/etc/pinsync/pinsync.env:2: ");
  CHECK_CONTAINS(file->ignored[0], "remove 'export'");
  CHECK_CONTAINS(file->ignored[1], "/etc/pinsync/pinsync.env:3: ");
  CHECK_CONTAINS(file->ignored[2], "/etc/pinsync/pinsync.env:4: ignored: a line without '='");
  for (const auto& line : file->ignored) CHECK_NOT_CONTAINS(line, "pk_secret");
}

TEST_CASE("invalid UTF-8 or a NUL byte is an error naming the line, without the value") {
  const auto bad_value = parse_env_file("A=1\nTOKEN=pk_secret\xff\n", "pinsync.env");
  REQUIRE_FALSE(bad_value.has_value());
  CHECK(bad_value.error().kind == ErrorKind::config);
  CHECK(bad_value.error().message == "pinsync.env:2: the value of TOKEN is not valid UTF-8");

  const auto nul = parse_env_file(std::string_view("A=1\nB=pk_secret\0x\n", 18), "standard input");
  REQUIRE_FALSE(nul.has_value());
  CHECK_CONTAINS(nul.error().message, "standard input:2: holds a NUL byte");
  CHECK_NOT_CONTAINS(nul.error().message, "pk_secret");
}

}  // namespace pinsync::agent
