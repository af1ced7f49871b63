// Reading the small text files a model folder holds (config.json, vocabularies, indexes), with
// the one error style every parser of outside data uses: "PATH: what went wrong".
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

namespace bertology {

// The whole file. Errors: "PATH: cannot open: No such file or directory", "PATH: cannot read",
// "PATH: is a folder, expected a file", "PATH: not a regular file" (a device or a pipe).
std::string read_text_file(const std::string& path);

// Parses JSON text that came from `where` (a path). A syntax error becomes
// "WHERE: not valid JSON (error at byte N)"; a number out of range (1e999) becomes
// "WHERE: not valid JSON (a number is out of range)". Deep nesting is fine: nlohmann's parser
// does not recurse.
nlohmann::json parse_json(const std::string& text, const std::string& where);

}  // namespace bertology
