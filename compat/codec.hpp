// The codec that carries a process-pool job's arguments and result across the process boundary.
//
// A worker process has its own memory, so values cross as bytes. The codec carries:
//   - trivially copyable types other than pointers (ints, doubles, enums, plain structs, arrays of
//     those), copied byte for byte; a struct that holds a pointer is trivially copyable too, but the
//     pointer means nothing in the other process: give such a type serialize/deserialize;
//   - std::string, as its length and bytes;
//   - std::vector<T> of any type the codec carries (recursively);
//   - a user type with `void serialize(spindle::CodecWriter&) const` and
//     `static T deserialize(spindle::CodecReader&)`, which write and read its parts in order.
// Anything else is a compile-time error at submit naming the type ("cannot cross the process
// boundary"). Both sides run the same binary, so there is no versioning and no byte-order question.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace spindle {

class CodecWriter;
class CodecReader;

// A type that encodes itself (see above).
template <class T>
concept SelfSerializable = requires(const T& value, CodecWriter& writer, CodecReader& reader) {
  value.serialize(writer);
  { T::deserialize(reader) } -> std::same_as<T>;
};

namespace detail {
template <class T>
struct Encodable : std::bool_constant<SelfSerializable<T> || (std::is_trivially_copyable_v<T> && !std::is_pointer_v<T> &&
                                                              !std::is_member_pointer_v<T>)> {};
template <>
struct Encodable<std::string> : std::true_type {};
template <class T, class A>
struct Encodable<std::vector<T, A>> : Encodable<T> {};
}  // namespace detail

// Whether the codec carries T (cv-qualifiers and references ignored).
template <class T>
inline constexpr bool is_encodable = detail::Encodable<std::remove_cvref_t<T>>::value;

// Appends encoded values to a byte buffer.
class CodecWriter {
 public:
  explicit CodecWriter(std::string& buffer) : buffer_(buffer) {}

  void write_bytes(const void* data, std::size_t size) { buffer_.append(static_cast<const char*>(data), size); }

  template <class T>
  void write(const T& value) {
    static_assert(is_encodable<T>, "spindle codec: this type cannot cross the process boundary (see compat/codec.hpp)");
    if constexpr (SelfSerializable<T>) {
      value.serialize(*this);
    } else if constexpr (std::is_same_v<T, std::string>) {
      write_size(value.size());
      write_bytes(value.data(), value.size());
    } else if constexpr (std::is_trivially_copyable_v<T>) {
      write_bytes(&value, sizeof value);
    } else {  // a vector
      write_size(value.size());
      if constexpr (std::is_trivially_copyable_v<typename T::value_type> && !SelfSerializable<typename T::value_type>) {
        write_bytes(value.data(), value.size() * sizeof(typename T::value_type));
      } else {
        for (const auto& element : value) write(element);
      }
    }
  }

 private:
  void write_size(std::size_t size) {
    auto count = static_cast<std::uint64_t>(size);
    write_bytes(&count, sizeof count);
  }
  std::string& buffer_;
};

// Reads encoded values back, in the order they were written. Throws std::runtime_error when the
// bytes run out (a truncated or mismatched message).
class CodecReader {
 public:
  CodecReader(const char* data, std::size_t size) : data_(data), end_(data + size) {}

  void read_bytes(void* out, std::size_t size) {
    if (static_cast<std::size_t>(end_ - data_) < size) throw std::runtime_error("spindle codec: the message is truncated");
    if (size == 0) return;  // `out` may be an empty vector's null data()
    std::memcpy(out, data_, size);
    data_ += size;
  }
  std::size_t remaining() const noexcept { return static_cast<std::size_t>(end_ - data_); }

  template <class T>
  T read() {
    static_assert(is_encodable<T>, "spindle codec: this type cannot cross the process boundary (see compat/codec.hpp)");
    if constexpr (SelfSerializable<T>) {
      return T::deserialize(*this);
    } else if constexpr (std::is_same_v<T, std::string>) {
      std::string text(read_size(1), '\0');
      read_bytes(text.data(), text.size());
      return text;
    } else if constexpr (std::is_trivially_copyable_v<T>) {
      static_assert(std::is_default_constructible_v<T> || std::is_trivially_default_constructible_v<T>,
                    "spindle codec: a trivially copyable type needs a default constructor to be read back");
      T value;
      read_bytes(&value, sizeof value);
      return value;
    } else {  // a vector
      using Element = typename T::value_type;
      T values;
      std::size_t count = read_size(std::is_trivially_copyable_v<Element> && !SelfSerializable<Element> ? sizeof(Element) : 1);
      if constexpr (std::is_trivially_copyable_v<Element> && !SelfSerializable<Element>) {
        values.resize(count);
        read_bytes(values.data(), count * sizeof(Element));
      } else {
        values.reserve(count);
        for (std::size_t i = 0; i < count; ++i) values.push_back(read<Element>());
      }
      return values;
    }
  }

 private:
  // A count of elements of at least `element_size` bytes each, checked against what is left so a
  // corrupt count cannot make us allocate gigabytes.
  std::size_t read_size(std::size_t element_size) {
    std::uint64_t count;
    read_bytes(&count, sizeof count);
    if (count > remaining() / element_size) throw std::runtime_error("spindle codec: the message is truncated");
    return static_cast<std::size_t>(count);
  }
  const char* data_;
  const char* end_;
};

}  // namespace spindle
