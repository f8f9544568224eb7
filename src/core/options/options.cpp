// JSON parsing and typed, range-checked access to training options.
#include "core/options/options.hpp"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <sstream>

#include "core/error.hpp"

namespace autorec {
namespace {

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  JsonValue document() {
    JsonValue v = value(0);
    skip_ws();
    if (pos_ != s_.size()) fail("unexpected text after the JSON value");
    return v;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw Error(ErrorKind::InvalidParameter,
                "invalid options JSON: " + what + " at offset " + std::to_string(pos_));
  }
  void skip_ws() {
    while (pos_ < s_.size() && (s_[pos_] == ' ' || s_[pos_] == '\t' || s_[pos_] == '\n' ||
                                s_[pos_] == '\r'))
      ++pos_;
  }
  bool eat(char c) {
    skip_ws();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool literal(std::string_view word) {
    if (s_.substr(pos_, word.size()) == word) {
      pos_ += word.size();
      return true;
    }
    return false;
  }

  JsonValue value(int depth) {
    if (depth > 64) fail("nesting too deep");
    skip_ws();
    if (pos_ >= s_.size()) fail("unexpected end");
    JsonValue v;
    char c = s_[pos_];
    if (c == '{') {
      ++pos_;
      v.type = JsonValue::Type::Object;
      if (eat('}')) return v;
      do {
        skip_ws();
        if (pos_ >= s_.size() || s_[pos_] != '"') fail("expected a string key");
        std::string key = string();
        if (!eat(':')) fail("expected ':'");
        v.object.emplace_back(std::move(key), value(depth + 1));
      } while (eat(','));
      if (!eat('}')) fail("expected '}'");
    } else if (c == '[') {
      ++pos_;
      v.type = JsonValue::Type::Array;
      if (eat(']')) return v;
      do {
        v.array.push_back(value(depth + 1));
      } while (eat(','));
      if (!eat(']')) fail("expected ']'");
    } else if (c == '"') {
      v.type = JsonValue::Type::String;
      v.string = string();
    } else if (literal("true")) {
      v.type = JsonValue::Type::Bool;
      v.boolean = true;
    } else if (literal("false")) {
      v.type = JsonValue::Type::Bool;
    } else if (literal("null")) {
      v.type = JsonValue::Type::Null;
    } else {
      v.type = JsonValue::Type::Number;
      v.number = number();
    }
    return v;
  }

  double number() {
    size_t start = pos_;
    if (pos_ < s_.size() && (s_[pos_] == '-' || s_[pos_] == '+')) ++pos_;
    while (pos_ < s_.size() &&
           (isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.' || s_[pos_] == 'e' ||
            s_[pos_] == 'E' || s_[pos_] == '-' || s_[pos_] == '+'))
      ++pos_;
    if (pos_ == start) fail("unexpected character");
    std::string tok(s_.substr(start, pos_ - start));
    char* end = nullptr;
    double d = std::strtod(tok.c_str(), &end);
    if (end != tok.c_str() + tok.size() || !std::isfinite(d)) fail("bad number '" + tok + "'");
    return d;
  }

  std::string string() {
    ++pos_;  // opening quote
    std::string out;
    while (true) {
      if (pos_ >= s_.size()) fail("unterminated string");
      char c = s_[pos_++];
      if (c == '"') break;
      if (c != '\\') {
        out.push_back(c);
        continue;
      }
      if (pos_ >= s_.size()) fail("unterminated escape");
      char e = s_[pos_++];
      switch (e) {
        case '"': out.push_back('"'); break;
        case '\\': out.push_back('\\'); break;
        case '/': out.push_back('/'); break;
        case 'b': out.push_back('\b'); break;
        case 'f': out.push_back('\f'); break;
        case 'n': out.push_back('\n'); break;
        case 'r': out.push_back('\r'); break;
        case 't': out.push_back('\t'); break;
        case 'u': {
          if (pos_ + 4 > s_.size()) fail("short \\u escape");
          unsigned code = 0;
          for (int k = 0; k < 4; ++k) {
            char h = s_[pos_++];
            code <<= 4;
            if (h >= '0' && h <= '9') code |= h - '0';
            else if (h >= 'a' && h <= 'f') code |= h - 'a' + 10;
            else if (h >= 'A' && h <= 'F') code |= h - 'A' + 10;
            else fail("bad \\u escape");
          }
          // Option names and values are ASCII; other code points are kept as UTF-8.
          if (code < 0x80) {
            out.push_back(static_cast<char>(code));
          } else if (code < 0x800) {
            out.push_back(static_cast<char>(0xC0 | (code >> 6)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
          } else {
            out.push_back(static_cast<char>(0xE0 | (code >> 12)));
            out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
            out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
          }
          break;
        }
        default: fail("bad escape");
      }
    }
    return out;
  }

  std::string_view s_;
  size_t pos_ = 0;
};

void dump_string(const std::string& s, std::ostringstream& os) {
  os << '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      os << '\\' << c;
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      os << buf;
    } else {
      os << c;
    }
  }
  os << '"';
}

void dump_value(const JsonValue& v, std::ostringstream& os) {
  switch (v.type) {
    case JsonValue::Type::Null: os << "null"; break;
    case JsonValue::Type::Bool: os << (v.boolean ? "true" : "false"); break;
    case JsonValue::Type::Number: {
      // The shortest of 15 or 17 significant digits that reads back exactly.
      char buf[32];
      std::snprintf(buf, sizeof buf, "%.15g", v.number);
      if (std::strtod(buf, nullptr) != v.number) std::snprintf(buf, sizeof buf, "%.17g", v.number);
      os << buf;
      break;
    }
    case JsonValue::Type::String: dump_string(v.string, os); break;
    case JsonValue::Type::Array: {
      os << '[';
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i) os << ", ";
        dump_value(v.array[i], os);
      }
      os << ']';
      break;
    }
    case JsonValue::Type::Object: {
      os << '{';
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i) os << ", ";
        dump_string(v.object[i].first, os);
        os << ": ";
        dump_value(v.object[i].second, os);
      }
      os << '}';
      break;
    }
  }
}

// Whether an integral double converts to an int64_t within [lo, hi]. (double)INT64_MAX rounds
// up to 2^63, which does not convert (undefined behaviour), so the bounds are checked on the
// converted value.
bool integer_in_range(double d, int64_t lo, int64_t hi, int64_t* out) {
  if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) return false;
  int64_t v = static_cast<int64_t>(d);
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

std::string describe_range(double lo, double hi) {
  std::ostringstream os;
  os << "between " << lo << " and " << hi;
  return os.str();
}

JsonValue json_number(double d) {
  JsonValue v;
  if (!std::isfinite(d)) return v;  // no JSON number: "unset"
  v.type = JsonValue::Type::Number;
  v.number = d;
  return v;
}

JsonValue json_bool(bool b) {
  JsonValue v;
  v.type = JsonValue::Type::Bool;
  v.boolean = b;
  return v;
}

JsonValue json_string(const std::string& s) {
  JsonValue v;
  v.type = JsonValue::Type::String;
  v.string = s;
  return v;
}

JsonValue json_integers(const std::vector<int64_t>& list) {
  JsonValue v;
  v.type = JsonValue::Type::Array;
  for (int64_t x : list) v.array.push_back(json_number(static_cast<double>(x)));
  return v;
}

OptionSpec make_spec(const std::string& name, OptionType type, JsonValue def, double lo = 0,
                     double hi = 0) {
  OptionSpec s;
  s.name = name;
  s.type = type;
  s.default_value = std::move(def);
  s.lo = lo;
  s.hi = hi;
  return s;
}

// Bounds this wide mean "any value" (the getters need some range).
bool unbounded(double lo, double hi) { return lo <= -1e29 && hi >= 1e29; }

std::string number_text(double d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  return buf;
}

}  // namespace

const char* option_type_name(OptionType type) {
  switch (type) {
    case OptionType::Number: return "number";
    case OptionType::Integer: return "integer";
    case OptionType::Boolean: return "boolean";
    case OptionType::Choice: return "choice";
    case OptionType::IntegerList: return "integer list";
    case OptionType::Text: return "text";
  }
  return "?";
}

const char* option_scope_name(OptionScope scope) {
  switch (scope) {
    case OptionScope::Source: return "source";
    case OptionScope::Training: return "training";
    case OptionScope::Algorithm: return "algorithm";
  }
  return "?";
}

std::string option_allowed(const OptionSpec& spec) {
  switch (spec.type) {
    case OptionType::Number:
    case OptionType::Integer:
    case OptionType::IntegerList: {
      std::string each = spec.type == OptionType::IntegerList ? "each " : "";
      if (unbounded(spec.lo, spec.hi))
        return spec.type == OptionType::Number ? "any number" : "any integer";
      if (spec.type != OptionType::Number && spec.hi >= 9e18)  // INT64_MAX
        return each + number_text(spec.lo) + " or more";
      return each + number_text(spec.lo) + " to " + number_text(spec.hi);
    }
    case OptionType::Boolean: return "true | false";
    case OptionType::Choice: {
      std::string out;
      for (auto& c : spec.choices) out += (out.empty() ? "" : " | ") + c;
      return out;
    }
    case OptionType::Text: return "";
  }
  return "";
}

void Options::note(OptionSpec spec, const JsonValue& value) {
  // The first value that is not null: a second reader of a name (seed: the training's and
  // ials'; min_rating: the source's and a family's) sees the same given value, and only its
  // default can differ.
  JsonValue& e = effective_[spec.name];
  if (e.type == JsonValue::Type::Null) e = value;
  for (OptionSpec& s : specs_)
    if (s.name == spec.name) {
      if (s.default_value.type == JsonValue::Type::Null)
        s.default_value = std::move(spec.default_value);
      return;
    }
  spec.scope = scope_;
  specs_.push_back(std::move(spec));
}

std::string Options::effective_json() const {
  JsonValue obj;
  obj.type = JsonValue::Type::Object;
  for (auto& [k, v] : effective_)
    if (k.empty() || k[0] != '_') obj.object.emplace_back(k, v);
  return obj.dump();
}

JsonValue JsonValue::parse(std::string_view text) { return Parser(text).document(); }

std::string JsonValue::dump() const {
  std::ostringstream os;
  dump_value(*this, os);
  return os.str();
}

Options Options::parse(std::string_view json) {
  Options o;
  if (json.find_first_not_of(" \t\r\n") == std::string_view::npos) return o;
  JsonValue v = JsonValue::parse(json);
  if (v.type != JsonValue::Type::Object)
    throw Error(ErrorKind::InvalidParameter, "options must be a JSON object",
                "For example '{\"factors\": 64}'.");
  for (auto& [k, val] : v.object) o.values_[k] = std::move(val);
  return o;
}

const JsonValue* Options::find(const std::string& name) {
  known_.insert(name);
  auto it = values_.find(name);
  if (it == values_.end() || it->second.type == JsonValue::Type::Null) return nullptr;
  return &it->second;
}

double Options::number(const std::string& name, double def, double lo, double hi) {
  const double value = number_unnoted(name, def, lo, hi);
  note(make_spec(name, OptionType::Number, json_number(def), lo, hi), json_number(value));
  return value;
}

std::optional<double> Options::optional_number(const std::string& name, double lo, double hi) {
  const bool given = find(name) != nullptr;
  std::optional<double> value;
  if (given) value = number_unnoted(name, 0, lo, hi);
  note(make_spec(name, OptionType::Number, JsonValue(), lo, hi),
       value ? json_number(*value) : JsonValue());
  return value;
}

double Options::number_unnoted(const std::string& name, double def, double lo, double hi) {
  const JsonValue* v = find(name);
  if (!v) return def;
  if (v->type != JsonValue::Type::Number)
    throw Error(ErrorKind::InvalidParameter, "option \"" + name + "\" must be a number");
  if (!(v->number >= lo && v->number <= hi))
    throw Error(ErrorKind::InvalidParameter,
                "option \"" + name + "\" must be " + describe_range(lo, hi) + ", got " +
                    v->dump());
  return v->number;
}

int64_t Options::integer(const std::string& name, int64_t def, int64_t lo, int64_t hi) {
  const JsonValue* v = find(name);
  int64_t result = def;
  if (v) {
    if (v->type != JsonValue::Type::Number || v->number != std::floor(v->number))
      throw Error(ErrorKind::InvalidParameter, "option \"" + name + "\" must be an integer");
    if (!integer_in_range(v->number, lo, hi, &result))
      throw Error(ErrorKind::InvalidParameter,
                  "option \"" + name + "\" must be " +
                      describe_range(static_cast<double>(lo), static_cast<double>(hi)) +
                      ", got " + v->dump());
  }
  note(make_spec(name, OptionType::Integer, json_number(static_cast<double>(def)),
                 static_cast<double>(lo), static_cast<double>(hi)),
       json_number(static_cast<double>(result)));
  return result;
}

bool Options::boolean(const std::string& name, bool def) {
  const JsonValue* v = find(name);
  if (v && v->type != JsonValue::Type::Bool)
    throw Error(ErrorKind::InvalidParameter, "option \"" + name + "\" must be true or false");
  const bool result = v ? v->boolean : def;
  note(make_spec(name, OptionType::Boolean, json_bool(def)), json_bool(result));
  return result;
}

std::string Options::choice(const std::string& name, const std::string& def,
                            const std::vector<std::string>& allowed) {
  const JsonValue* v = find(name);
  std::string list;
  for (auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  OptionSpec spec = make_spec(name, OptionType::Choice, json_string(def));
  spec.choices = allowed;
  if (!v) {
    note(std::move(spec), json_string(def));
    return def;
  }
  if (v->type != JsonValue::Type::String)
    throw Error(ErrorKind::InvalidParameter, "option \"" + name + "\" must be a string",
                "Valid values: " + list + ".");
  for (auto& a : allowed)
    if (a == v->string) {
      note(std::move(spec), json_string(a));
      return a;
    }
  throw Error(ErrorKind::InvalidParameter,
              "option \"" + name + "\" has an invalid value \"" + v->string + "\"",
              "Valid values: " + list + ".");
}

std::vector<int64_t> Options::integer_list(const std::string& name,
                                           const std::vector<int64_t>& def, int64_t lo,
                                           int64_t hi) {
  const JsonValue* v = find(name);
  std::vector<int64_t> result = def;
  if (v && v->type == JsonValue::Type::Number) {
    // A single number is accepted as a one-element list.
    JsonValue arr;
    arr.type = JsonValue::Type::Array;
    arr.array.push_back(*v);
    result = integer_list_from(name, arr, lo, hi);
  } else if (v) {
    result = integer_list_from(name, *v, lo, hi);
  }
  note(make_spec(name, OptionType::IntegerList, json_integers(def), static_cast<double>(lo),
                 static_cast<double>(hi)),
       json_integers(result));
  return result;
}

std::vector<int64_t> Options::integer_list_from(const std::string& name, const JsonValue& v,
                                                int64_t lo, int64_t hi) {
  if (v.type != JsonValue::Type::Array || v.array.empty())
    throw Error(ErrorKind::InvalidParameter,
                "option \"" + name + "\" must be a non-empty array of integers");
  std::vector<int64_t> out;
  for (const JsonValue& e : v.array) {
    int64_t value;
    if (e.type != JsonValue::Type::Number || e.number != std::floor(e.number) ||
        !integer_in_range(e.number, lo, hi, &value))
      throw Error(ErrorKind::InvalidParameter,
                  "option \"" + name + "\" must hold integers " +
                      describe_range(static_cast<double>(lo), static_cast<double>(hi)) +
                      ", got " + e.dump());
    out.push_back(value);
  }
  return out;
}

std::string Options::text(const std::string& name, const std::string& def) {
  const JsonValue* v = find(name);
  if (v && v->type != JsonValue::Type::String)
    throw Error(ErrorKind::InvalidParameter, "option \"" + name + "\" must be a string");
  std::string result = v ? v->string : def;
  note(make_spec(name, OptionType::Text, json_string(def)), json_string(result));
  return result;
}

std::optional<std::string> Options::optional_text(const std::string& name) {
  const JsonValue* v = find(name);
  if (v && v->type != JsonValue::Type::String)
    throw Error(ErrorKind::InvalidParameter, "option \"" + name + "\" must be a string");
  note(make_spec(name, OptionType::Text, JsonValue()), v ? json_string(v->string) : JsonValue());
  if (!v) return std::nullopt;
  return v->string;
}

void Options::reject_unknown(const std::string& algorithm) const {
  for (auto& [k, v] : values_) {
    if (known_.count(k)) continue;
    std::string list;
    for (auto& n : known_) list += (list.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::InvalidParameter,
                "unknown option \"" + k + "\" for algorithm \"" + algorithm + "\"",
                "Valid options: " + list + ".");
  }
}

std::string Options::to_json() const {
  JsonValue obj;
  obj.type = JsonValue::Type::Object;
  for (auto& [k, v] : values_) obj.object.emplace_back(k, v);
  return obj.dump();
}

}  // namespace autorec
