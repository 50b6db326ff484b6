#include "weir/route/regex.h"

namespace weir::route {
namespace {

re2::StringPiece piece(std::string_view s) { return re2::StringPiece(s.data(), s.size()); }

}  // namespace

std::optional<Regex> Regex::compile(std::string_view pattern, bool ignoreCase, std::string* error) {
  RE2::Options options;
  options.set_log_errors(false);
  options.set_case_sensitive(!ignoreCase);
  auto re = std::make_unique<RE2>(piece(pattern), options);
  if (!re->ok()) {
    *error = re->error();
    return std::nullopt;
  }
  return Regex(std::move(re));
}

Regex::Regex(const Regex& other) : re_(std::make_unique<RE2>(other.re_->pattern(), other.re_->options())) {}

Regex& Regex::operator=(const Regex& other) {
  if (this != &other) re_ = std::make_unique<RE2>(other.re_->pattern(), other.re_->options());
  return *this;
}

bool Regex::search(std::string_view text) const { return RE2::PartialMatch(piece(text), *re_); }

bool Regex::extract(std::string_view text, std::string_view rewrite, std::string* out) const {
  return RE2::Extract(piece(text), *re_, piece(rewrite), out);
}

std::string Regex::checkRewrite(std::string_view rewrite) const {
  std::string error;
  return re_->CheckRewriteString(piece(rewrite), &error) ? std::string() : error;
}

}  // namespace weir::route
