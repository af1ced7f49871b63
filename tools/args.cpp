// Parser for the subcommands' options (see args.h).
#include "args.h"

#include <bertology/bertology/tsv.h>
#include <bertology/tensor/error.h>

namespace bertology::cli {

Args::Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
           const std::set<std::string>& options) {
  for (size_t i = 0; i < argv.size(); ++i) {
    const std::string& a = argv[i];
    if (a == "-h" && flags.count("help")) {
      flags_.insert("help");
      continue;
    }
    if (a.rfind("--", 0) != 0) {
      positional_.push_back(a);
      continue;
    }
    std::string name = a.substr(2), value;
    bool inline_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name = name.substr(0, eq);
      inline_value = true;
    }
    if (flags.count(name)) {
      if (inline_value) throw Error(concat("option --", name, " takes no value"));
      flags_.insert(name);
    } else if (options.count(name)) {
      if (!inline_value) {
        if (i + 1 >= argv.size()) throw Error(concat("option --", name, " needs a value"));
        value = argv[++i];
        if (value.rfind("--", 0) == 0)  // "--text --output x": the value was forgotten
          throw Error(concat("option --", name, " needs a value, got the option '", value, "' (write --", name,
                             "=VALUE for a value that starts with --)"));
      }
      if (value.empty()) throw Error(concat("option --", name, " needs a non-empty value"));
      if (const int64_t bad = find_invalid_utf8(value); bad >= 0)  // it would reach JSON and HTML outputs
        throw Error(concat("option --", name, " is not valid UTF-8 (byte ", bad + 1, "): paths and texts must be UTF-8"));
      if (values_.count(name)) throw Error(concat("option --", name, " is given twice"));
      values_[name] = value;
    } else {
      throw Error(concat("unknown option --", name));
    }
  }
  if (!positional_.empty() && !flags_.count("help"))
    throw Error(concat("unexpected argument '", positional_[0], "' (options start with --; quote values with spaces)"));
}

std::string Args::get(const std::string& name, const std::string& fallback) const {
  auto it = values_.find(name);
  return it == values_.end() ? fallback : it->second;
}

std::string Args::required(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end()) throw Error(concat("missing required option --", name));
  return it->second;
}

long long Args::get_int_in(const std::string& name, long long fallback, long long lowest, long long highest) const {
  const long long v = get_int(name, fallback);
  if (v < lowest || v > highest)
    throw Error(concat("option --", name, " must be in [", lowest, ", ", highest, "], got ", v));
  return v;
}

long long Args::get_int(const std::string& name, long long fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  try {
    size_t used = 0;
    long long v = std::stoll(it->second, &used);
    if (used == it->second.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(concat("option --", name, " expects an integer, got '", it->second, "'"));
}

double Args::get_double(const std::string& name, double fallback) const {
  auto it = values_.find(name);
  if (it == values_.end()) return fallback;
  try {
    size_t used = 0;
    double v = std::stod(it->second, &used);
    if (used == it->second.size()) return v;
  } catch (const std::exception&) {
  }
  throw Error(concat("option --", name, " expects a number, got '", it->second, "'"));
}

}  // namespace bertology::cli
