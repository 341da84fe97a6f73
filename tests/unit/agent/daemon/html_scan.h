// A small HTML reader for the status page's tests: elements with their attributes and the
// text inside them (entities decoded), in document order. Strict where the page must be:
// every tag closed in order (void elements aside), attribute values quoted, every & an
// entity the page writes — so a partner's text that escaped html_escape() shows up as an
// error, a stray element or a stray attribute. Script and style contents are skipped.
#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pinsync::agent::test {

struct HtmlElement {
  std::string tag;
  std::map<std::string, std::string> attrs;  // values decoded
  std::string text;                          // every text inside, decoded
  int parent = -1;                           // index in HtmlDoc::elements; -1 at the top
  bool has_class(std::string_view c) const {
    const auto it = attrs.find("class");
    if (it == attrs.end()) return false;
    std::string_view s = it->second;
    while (!s.empty()) {
      const auto sp = s.find(' ');
      if (s.substr(0, sp) == c) return true;
      if (sp == std::string_view::npos) break;
      s.remove_prefix(sp + 1);
    }
    return false;
  }
  std::string attr(const std::string& name) const {
    const auto it = attrs.find(name);
    return it == attrs.end() ? "" : it->second;
  }
};

struct HtmlDoc {
  std::vector<HtmlElement> elements;
  std::vector<std::string> errors;  // what was not well formed

  // Whether element `i` lies inside element `ancestor`.
  bool inside(int i, int ancestor) const {
    for (int p = elements[static_cast<std::size_t>(i)].parent; p >= 0; p = elements[static_cast<std::size_t>(p)].parent) {
      if (p == ancestor) return true;
    }
    return false;
  }
  // Indexes of the elements for which `pred(element)` holds, in document order; within
  // `ancestor` when it is not -1.
  template <class Pred>
  std::vector<int> find(Pred pred, int ancestor = -1) const {
    std::vector<int> out;
    for (std::size_t i = 0; i < elements.size(); ++i) {
      if (pred(elements[i]) && (ancestor < 0 || inside(static_cast<int>(i), ancestor))) out.push_back(static_cast<int>(i));
    }
    return out;
  }
  const HtmlElement& at(int i) const { return elements[static_cast<std::size_t>(i)]; }
};

inline std::string html_decode(std::string_view s, std::vector<std::string>& errors) {
  static const std::pair<std::string_view, char> k_entities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&#39;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    if (s[i] != '&') {
      out += s[i++];
      continue;
    }
    bool known = false;
    for (const auto& [name, c] : k_entities) {
      if (s.substr(i).starts_with(name)) {
        out += c;
        i += name.size();
        known = true;
        break;
      }
    }
    if (!known) {
      errors.push_back("a bare & at: " + std::string(s.substr(i, 20)));
      out += s[i++];
    }
  }
  return out;
}

inline HtmlDoc parse_html(std::string_view h) {
  HtmlDoc doc;
  std::vector<int> open;
  const auto add_text = [&](std::string_view raw) {
    const std::string t = html_decode(raw, doc.errors);
    for (int i : open) doc.elements[static_cast<std::size_t>(i)].text += t;
  };
  std::size_t i = 0;
  while (i < h.size()) {
    const auto lt = h.find('<', i);
    add_text(h.substr(i, lt == std::string_view::npos ? std::string_view::npos : lt - i));
    if (lt == std::string_view::npos) break;
    const auto gt = h.find('>', lt);
    if (gt == std::string_view::npos) {
      doc.errors.push_back("an unclosed tag");
      break;
    }
    std::string_view tag = h.substr(lt + 1, gt - lt - 1);
    i = gt + 1;
    if (tag.starts_with('!')) continue;  // doctype
    if (tag.starts_with('/')) {
      const std::string name(tag.substr(1));
      if (open.empty() || doc.elements[static_cast<std::size_t>(open.back())].tag != name) {
        doc.errors.push_back("</" + name + "> closes " +
                             (open.empty() ? std::string("nothing") : doc.elements[static_cast<std::size_t>(open.back())].tag));
      } else {
        open.pop_back();
      }
      continue;
    }
    HtmlElement e;
    std::size_t p = 0;
    while (p < tag.size() && tag[p] != ' ') ++p;
    e.tag = std::string(tag.substr(0, p));
    while (p < tag.size()) {
      while (p < tag.size() && tag[p] == ' ') ++p;
      if (p >= tag.size()) break;
      std::size_t q = p;
      while (q < tag.size() && tag[q] != '=' && tag[q] != ' ') ++q;
      const std::string name(tag.substr(p, q - p));
      if (q < tag.size() && tag[q] == '=') {
        if (q + 1 >= tag.size() || tag[q + 1] != '"') {
          doc.errors.push_back("an unquoted attribute " + name + " in <" + e.tag + ">");
          break;
        }
        const auto end = tag.find('"', q + 2);
        if (end == std::string_view::npos) {
          doc.errors.push_back("an unterminated attribute " + name);
          break;
        }
        e.attrs[name] = html_decode(tag.substr(q + 2, end - q - 2), doc.errors);
        p = end + 1;
      } else {
        e.attrs[name] = "";
        p = q;
      }
    }
    e.parent = open.empty() ? -1 : open.back();
    doc.elements.push_back(e);
    const int index = static_cast<int>(doc.elements.size() - 1);
    if (e.tag == "script" || e.tag == "style") {
      const auto close = h.find("</" + e.tag + ">", i);
      if (close == std::string_view::npos) {
        doc.errors.push_back("an unclosed <" + e.tag + ">");
        break;
      }
      i = close + e.tag.size() + 3;
      continue;
    }
    if (e.tag == "meta" || e.tag == "br" || e.tag == "input" || e.tag == "img" || e.tag == "link") continue;
    open.push_back(index);
  }
  for (int o : open) doc.errors.push_back("<" + doc.elements[static_cast<std::size_t>(o)].tag + "> never closed");
  return doc;
}

}  // namespace pinsync::agent::test
