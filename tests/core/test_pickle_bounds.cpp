// The pickle length bound load_weights applies before LibTorch's unpickler
// (suite/io/pickle_bounds.h). The pickles are Python's own (pickle.dumps of one
// dict at protocols 0, 2 and 4: text opcodes, BINUNICODE, LONG1, BINFLOAT,
// FRAME, MEMOIZE, ...): a scanner that misread any opcode would go out of
// step and report a false overrun somewhere in them.
#include "suite/io/pickle_bounds.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

namespace {

// pickle.dumps({'a': 'xyz', 'n': 2**70, 'f': 1.5, 'b': b'ab', 't': (1, 2, 3),
//               'l': [None, True, 70000]}, protocol=P), Python 3.11.
const std::vector<std::string>& python_pickles() {
  static const std::vector<std::string> p = {
      // protocol 0 (171 bytes)
      std::string("\050\144\160\060\012\126\141\012\160\061\012\126\170\171\172\012\160\062\012\163\126\156\012\160"
                  "\063\012\114\061\061\070\060\065\071\061\066\062\060\067\061\067\064\061\061\063\060\063\064\062"
                  "\064\114\012\163\126\146\012\160\064\012\106\061\056\065\012\163\126\142\012\160\065\012\143\137"
                  "\143\157\144\145\143\163\012\145\156\143\157\144\145\012\160\066\012\050\126\141\142\012\160\067"
                  "\012\126\154\141\164\151\156\061\012\160\070\012\164\160\071\012\122\160\061\060\012\163\126\164"
                  "\012\160\061\061\012\050\111\061\012\111\062\012\111\063\012\164\160\061\062\012\163\126\154\012"
                  "\160\061\063\012\050\154\160\061\064\012\116\141\111\060\061\012\141\111\067\060\060\060\060\012"
                  "\141\163\056",
                  171),
      // protocol 2 (153 bytes)
      std::string("\200\002\175\161\000\050\130\001\000\000\000\141\161\001\130\003\000\000\000\170\171\172\161\002"
                  "\130\001\000\000\000\156\161\003\212\011\000\000\000\000\000\000\000\000\100\130\001\000\000\000"
                  "\146\161\004\107\077\370\000\000\000\000\000\000\130\001\000\000\000\142\161\005\143\137\143\157"
                  "\144\145\143\163\012\145\156\143\157\144\145\012\161\006\130\002\000\000\000\141\142\161\007\130"
                  "\006\000\000\000\154\141\164\151\156\061\161\010\206\161\011\122\161\012\130\001\000\000\000\164"
                  "\161\013\113\001\113\002\113\003\207\161\014\130\001\000\000\000\154\161\015\135\161\016\050\116"
                  "\210\112\160\021\001\000\145\165\056",
                  153),
      // protocol 4 (90 bytes)
      std::string("\200\004\225\117\000\000\000\000\000\000\000\175\224\050\214\001\141\224\214\003\170\171\172\224"
                  "\214\001\156\224\212\011\000\000\000\000\000\000\000\000\100\214\001\146\224\107\077\370\000\000"
                  "\000\000\000\000\214\001\142\224\103\002\141\142\224\214\001\164\224\113\001\113\002\113\003\207"
                  "\224\214\001\154\224\135\224\050\116\210\112\160\021\001\000\145\165\056",
                  90),
  };
  return p;
}

std::optional<std::string> overrun(const std::string& s) { return nrs::pickle_length_overrun(s.data(), s.size()); }

}  // namespace

TEST(PickleBounds, PythonPicklesHaveNoOverrun) {
  for (const auto& p : python_pickles()) EXPECT_FALSE(overrun(p).has_value()) << *overrun(p);
}

// Found by fuzzing: a BINUNICODE length beyond the pickle made LibTorch
// allocate (and zero) that many bytes before failing.
TEST(PickleBounds, StringLongerThanThePickleIsReported) {
  std::string p = python_pickles()[1];  // protocol 2: its first string, 'a', is BINUNICODE at byte 6
  ASSERT_EQ(p.substr(6, 6), std::string("X\001\000\000\000a", 6));
  p[6 + 4] = '\x40';  // length 0x40000001: 1 GiB
  const auto o = overrun(p);
  ASSERT_TRUE(o.has_value());
  EXPECT_EQ(*o, "opcode at byte 6 declares 1073741825 bytes, only 142 follow");
}

// Every prefix of a pickle is scanned within its bytes (each copied to an
// allocation of exactly its size, so that ASan, scripts/sanitize, reports a
// read past the end); a verdict on a prefix can only be a length the cut made
// too long. An unknown opcode ends the scan.
TEST(PickleBounds, CutPicklesAreScannedWithinTheirBytes) {
  for (const auto& p : python_pickles())
    for (size_t n = 0; n < p.size(); ++n) {
      const std::vector<char> cut(p.begin(), p.begin() + static_cast<std::ptrdiff_t>(n));
      const auto o = nrs::pickle_length_overrun(cut.data(), cut.size());
      if (o) {
        EXPECT_NE(o->find(" follow"), std::string::npos) << *o;
      }
    }
  EXPECT_FALSE(overrun(std::string("\xff\x58\xff\xff\xff\xff", 6)).has_value());  // 0xff is no opcode
}
