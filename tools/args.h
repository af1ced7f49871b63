// A small command-line parser shared by the subcommands: --flag, --key value, --key=value, and
// -h for --help. Errors name the option: unknown options, missing or empty values, a separate
// value that is itself an option ("--text --output x"), an option given twice, and any argument
// that is not an option.
#pragma once
#include <map>
#include <set>
#include <string>
#include <vector>

namespace bertology::cli {

class Args {
 public:
  // flags: options without a value; options: options that take one value.
  Args(const std::vector<std::string>& argv, const std::set<std::string>& flags,
       const std::set<std::string>& options);

  bool flag(const std::string& name) const { return flags_.count(name) > 0; }
  bool has(const std::string& name) const { return values_.count(name) > 0; }
  std::string get(const std::string& name, const std::string& fallback = "") const;
  std::string required(const std::string& name) const;  // throws when absent
  long long get_int(const std::string& name, long long fallback) const;
  // get_int, and an error naming the option when the value is outside [lowest, highest].
  long long get_int_in(const std::string& name, long long fallback, long long lowest, long long highest) const;
  double get_double(const std::string& name, double fallback) const;
  const std::vector<std::string>& positional() const { return positional_; }

 private:
  std::set<std::string> flags_;
  std::map<std::string, std::string> values_;
  std::vector<std::string> positional_;
};

}  // namespace bertology::cli
