// The binary model format: a checked header (magic, format version, algorithm, dimensions,
// payload length, CRC-32) and a payload written field by field; the reader checks every length
// before it trusts it, so a corrupted or truncated bytea is an error, never a crash.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "core/error.hpp"

namespace autorec {

constexpr uint32_t kFormatVersion = 1;

uint32_t crc32(const uint8_t* data, size_t n);

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    static_assert(std::is_trivially_copyable<T>::value, "put() takes plain values");
    const auto* p = reinterpret_cast<const uint8_t*>(&v);
    buf_.insert(buf_.end(), p, p + sizeof(T));
  }
  template <typename T>
  void put_vector(const std::vector<T>& v) {
    static_assert(std::is_trivially_copyable<T>::value, "put_vector() takes plain values");
    put<uint64_t>(v.size());
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    buf_.insert(buf_.end(), p, p + v.size() * sizeof(T));
  }
  void put_string(const std::string& s) {
    put<uint64_t>(s.size());
    buf_.insert(buf_.end(), s.begin(), s.end());
  }
  std::vector<uint8_t>& bytes() { return buf_; }

 private:
  std::vector<uint8_t> buf_;
};

class Reader {
 public:
  Reader(const uint8_t* data, size_t n) : p_(data), end_(data + n) {}

  template <typename T>
  T get() {
    static_assert(std::is_trivially_copyable<T>::value, "get() takes plain values");
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_, sizeof(T));
    p_ += sizeof(T);
    return v;
  }
  // A vector of at most `max_count` elements (callers pass the count the dimensions imply).
  template <typename T>
  std::vector<T> get_vector(uint64_t max_count = UINT64_MAX) {
    uint64_t n = get<uint64_t>();
    if (n > max_count || n > remaining() / sizeof(T)) corrupt("array length out of range");
    std::vector<T> v(n);
    if (n) std::memcpy(v.data(), p_, n * sizeof(T));
    p_ += n * sizeof(T);
    return v;
  }
  // Same, but the length must be exactly `count`.
  template <typename T>
  std::vector<T> get_vector_exact(uint64_t count) {
    std::vector<T> v = get_vector<T>(count);
    if (v.size() != count) corrupt("array length does not match the model's dimensions");
    return v;
  }
  std::string get_string(uint64_t max_len = 1u << 20) {
    uint64_t n = get<uint64_t>();
    if (n > max_len || n > remaining()) corrupt("string length out of range");
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  [[noreturn]] static void corrupt(const std::string& what) {
    throw Error(ErrorKind::CorruptModel, "model data is corrupted: " + what,
                "Retrain the model with CALL autorec_retrain(...).");
  }

 private:
  void need(size_t n) const {
    if (remaining() < n) corrupt("unexpected end of data");
  }
  const uint8_t* p_;
  const uint8_t* end_;
};

struct ModelHeader {
  uint32_t format_version = kFormatVersion;
  std::string algorithm;
  int32_t n_users = 0, n_items = 0;
  uint64_t n_ratings = 0;
};

// Header + payload -> one buffer (the CRC covers the payload).
std::vector<uint8_t> frame_model(const ModelHeader& h, const std::vector<uint8_t>& payload);
// Validates magic, version, lengths and checksum; returns the header and the payload's bounds.
ModelHeader unframe_model(const uint8_t* data, size_t n, const uint8_t** payload,
                          size_t* payload_len);

}  // namespace autorec
