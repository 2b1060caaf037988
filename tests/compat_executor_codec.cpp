// The process-boundary codec: what it carries round-trips exactly (trivially copyable values,
// strings, nested vectors, user types with serialize/deserialize, also through a worker), a
// truncated message is an error rather than garbage, and what it cannot carry is known at compile
// time (the compile-fail test in tests/compile_fail shows the message submit gives).
#include "leak_check.hpp"

#include <spindle/compat/codec.hpp>
#include <spindle/compat/process_pool.hpp>

#include <array>
#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace spindle;

namespace {

const bool zygote_started = (start_process_zygote(), true);

struct Point {
  double x;
  double y;
  bool operator==(const Point&) const = default;
};

// Holds a heap string: not trivially copyable, so it says how to cross.
struct Person {
  std::string name;
  std::vector<int> scores;
  void serialize(CodecWriter& writer) const {
    writer.write(name);
    writer.write(scores);
  }
  static Person deserialize(CodecReader& reader) {
    Person person;
    person.name = reader.read<std::string>();
    person.scores = reader.read<std::vector<int>>();
    return person;
  }
  bool operator==(const Person&) const = default;
};

template <class T>
T round_trip(const T& value) {
  std::string bytes;
  CodecWriter writer(bytes);
  writer.write(value);
  CodecReader reader(bytes.data(), bytes.size());
  T back = reader.read<T>();
  CHECK(reader.remaining() == 0);
  return back;
}

Person promote(Person person, int bonus) {
  for (int& score : person.scores) score += bonus;
  person.name += " (promoted)";
  return person;
}

std::vector<std::vector<std::string>> split_words(const std::vector<std::string>& lines) {
  std::vector<std::vector<std::string>> words;
  for (const std::string& line : lines) {
    words.emplace_back();
    std::size_t start = 0;
    while (start <= line.size()) {
      std::size_t space = line.find(' ', start);
      if (space == std::string::npos) space = line.size();
      words.back().push_back(line.substr(start, space - start));
      start = space + 1;
    }
  }
  return words;
}

}  // namespace

static_assert(is_encodable<int> && is_encodable<double> && is_encodable<Point> && is_encodable<std::array<int, 3>>);
static_assert(is_encodable<std::string> && is_encodable<std::vector<std::vector<std::string>>> && is_encodable<Person>);
static_assert(is_encodable<const std::string&>);
static_assert(!is_encodable<int*> && !is_encodable<std::unique_ptr<int>> && !is_encodable<std::map<int, int>>);
static_assert(!is_encodable<std::vector<const char*>>);

TEST_CASE("the codec round-trips what it carries", "[compat][executor][codec]") {
  CHECK(round_trip(42) == 42);
  CHECK(round_trip(-1.25) == -1.25);
  CHECK(round_trip(Point{1.5, -2}) == Point{1.5, -2});
  CHECK(round_trip(std::string()) == "");
  CHECK(round_trip(std::string("with\0nul", 8)) == std::string("with\0nul", 8));
  CHECK(round_trip(std::vector<Point>{{1, 2}, {3, 4}}) == std::vector<Point>{{1, 2}, {3, 4}});
  std::vector<std::vector<std::string>> nested{{"a", "bc"}, {}, {"", "def"}};
  CHECK(round_trip(nested) == nested);
  Person ada{"Ada", {90, 95}};
  CHECK(round_trip(ada) == ada);
  CHECK(round_trip(std::vector<Person>{ada, {"Bob", {}}}) == std::vector<Person>{ada, {"Bob", {}}});
}

TEST_CASE("a truncated or corrupt message is an error", "[compat][executor][codec]") {
  std::string bytes;
  CodecWriter writer(bytes);
  writer.write(std::string("hello"));
  CodecReader short_reader(bytes.data(), bytes.size() - 1);
  CHECK_THROWS_WITH(short_reader.read<std::string>(), Catch::Contains("truncated"));
  // A count far larger than the bytes left is refused before anything is allocated.
  std::string huge;
  CodecWriter huge_writer(huge);
  huge_writer.write(std::uint64_t{1} << 60);
  CodecReader huge_reader(huge.data(), huge.size());
  CHECK_THROWS_WITH(huge_reader.read<std::vector<double>>(), Catch::Contains("truncated"));
}

TEST_CASE("user types and nested vectors cross to a worker and back", "[compat][executor][codec]") {
  REQUIRE(zygote_started);
  ProcessPoolExecutor pool(1);
  Person promoted = pool.submit(promote, Person{"Ada", {1, 2}}, 10).result();
  CHECK(promoted == Person{"Ada (promoted)", {11, 12}});
  auto words = pool.submit(split_words, std::vector<std::string>{"a b", "", "cd"}).result();
  CHECK(words == std::vector<std::vector<std::string>>{{"a", "b"}, {""}, {"cd"}});
}
