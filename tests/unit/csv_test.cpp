// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
#include "common/csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/gzip.hpp"
#include "common/problem_list.hpp"
#include "common/text.hpp"
#include "common/time.hpp"

namespace pakt::csv {
namespace {

using Fields = std::vector<std::string>;

std::vector<Fields> fields_of(const Document& doc) {
    std::vector<Fields> out;
    for (const auto& row : doc.rows) out.push_back(row.fields);
    return out;
}

std::vector<std::size_t> lines_of(const Document& doc) {
    std::vector<std::size_t> out;
    for (const auto& row : doc.rows) out.push_back(row.line);
    return out;
}

TEST(Csv, ByteOrderMarkIsNotPartOfTheFirstField) {
    const auto doc = parse("\xEF\xBB\xBFname,class\nAda,5a\n");
    ASSERT_TRUE(doc.errors.empty());
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"name", "class"}, {"Ada", "5a"}}));
}

TEST(Csv, CrLfAndLfLineEndsGiveTheSameRows) {
    const auto lf = parse("a,b\n1,2\n3,4\n");
    const auto crlf = parse("a,b\r\n1,2\r\n3,4\r\n");
    ASSERT_TRUE(crlf.errors.empty());
    EXPECT_EQ(fields_of(crlf), fields_of(lf));
    EXPECT_EQ(lines_of(crlf), (std::vector<std::size_t>{1, 2, 3}));
}

TEST(Csv, LastLineNeedsNoLineEnd) {
    const auto doc = parse("a,b\n1,2");
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"a", "b"}, {"1", "2"}}));
}

TEST(Csv, SemicolonIsDetectedWhenTheFirstLineHasMoreOfThem) {
    const auto doc = parse("name;amount\nAda;1,5\n");
    EXPECT_EQ(doc.separator, ';');
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"name", "amount"}, {"Ada", "1,5"}}));
}

TEST(Csv, CommaIsDetectedWhenCountsTie) {
    EXPECT_EQ(parse("a;b,c\n").separator, ',');
    EXPECT_EQ(parse("").separator, ',');
}

TEST(Csv, SeparatorsInsideQuotesDoNotCountForDetection) {
    const auto doc = parse("\"a;b;c\",d\n");
    EXPECT_EQ(doc.separator, ',');
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"a;b;c", "d"}}));
}

TEST(Csv, GivenSeparatorOverridesDetection) {
    const auto doc = parse("a;b;c,d\n", ',');
    EXPECT_EQ(doc.separator, ',');
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"a;b;c", "d"}}));
}

TEST(Csv, QuotedFieldMayContainSeparatorsAndDoubledQuotes) {
    const auto doc = parse("\"Smith, Ada\",\"say \"\"hi\"\"\",\"\"\n");
    ASSERT_TRUE(doc.errors.empty());
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"Smith, Ada", "say \"hi\"", ""}}));
}

TEST(Csv, QuotedFieldMaySpanLines) {
    const auto doc = parse("id,note\n1,\"first\nsecond\r\nthird\"\n2,x\n");
    ASSERT_TRUE(doc.errors.empty());
    ASSERT_EQ(doc.rows.size(), 3u);
    EXPECT_EQ(doc.rows[1].fields[1], "first\nsecond\r\nthird");
    EXPECT_EQ(doc.rows[1].line, 2u);
    // The record after the three-line field starts on physical line 5.
    EXPECT_EQ(doc.rows[2].line, 5u);
    EXPECT_EQ(doc.rows[2].fields, (Fields{"2", "x"}));
}

TEST(Csv, TrailingSeparatorGivesAnEmptyLastField) {
    EXPECT_EQ(fields_of(parse("a,b,\n")), (std::vector<Fields>{{"a", "b", ""}}));
}

TEST(Csv, BlanksAroundAQuotedFieldAreDropped) {
    const auto doc = parse("a, \"b, c\" ,d\n");
    ASSERT_TRUE(doc.errors.empty());
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"a", "b, c", "d"}}));
}

TEST(Csv, BlanksInUnquotedFieldsAreKept) {
    EXPECT_EQ(fields_of(parse(" a , b\n")), (std::vector<Fields>{{" a ", " b"}}));
}

TEST(Csv, BlankLinesAreSkippedButStillCounted) {
    const auto doc = parse("a,b\n\n   \r\n1,2\n\n");
    ASSERT_TRUE(doc.errors.empty());
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"a", "b"}, {"1", "2"}}));
    EXPECT_EQ(lines_of(doc), (std::vector<std::size_t>{1, 4}));
}

TEST(Csv, UnterminatedQuoteIsReportedOnItsLineAndLaterRowsSurvive) {
    const auto doc = parse("name,class\n\"Ada,5a\nBob,5b\n");
    ASSERT_EQ(doc.errors.size(), 1u);
    EXPECT_EQ(doc.errors[0].line, 2u);
    EXPECT_NE(doc.errors[0].message.find("unterminated"), std::string::npos);
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"name", "class"}, {"Bob", "5b"}}));
    EXPECT_EQ(lines_of(doc), (std::vector<std::size_t>{1, 3}));
}

TEST(Csv, StrayQuoteInUnquotedFieldIsAnError) {
    const auto doc = parse("a,b\n5\" screen,x\nc,d\n");
    ASSERT_EQ(doc.errors.size(), 1u);
    EXPECT_EQ(doc.errors[0].line, 2u);
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"a", "b"}, {"c", "d"}}));
}

TEST(Csv, TextAfterClosingQuoteIsAnError) {
    const auto doc = parse("\"a\"b,c\nd,e\n");
    ASSERT_EQ(doc.errors.size(), 1u);
    EXPECT_EQ(doc.errors[0].line, 1u);
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"d", "e"}}));
}

TEST(Csv, InvalidUtf8IsReportedWithTheRecordLine) {
    // "M\xFCller" is Latin-1, as old spreadsheet exports write it.
    const auto doc = parse("name\nAda\nM\xFCller\nBob\n");
    ASSERT_EQ(doc.errors.size(), 1u);
    EXPECT_EQ(doc.errors[0].line, 3u);
    EXPECT_NE(doc.errors[0].message.find("UTF-8"), std::string::npos);
    EXPECT_EQ(fields_of(doc), (std::vector<Fields>{{"name"}, {"Ada"}, {"Bob"}}));
}

TEST(Csv, Utf8ValidationRejectsMalformedSequences) {
    EXPECT_TRUE(is_valid_utf8("M\xC3\xBCller \xE2\x82\xAC \xF0\x9F\x98\x80"));
    EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));   // U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));          // overlong '/'
    EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));      // overlong, 3 bytes
    EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));      // surrogate U+D800
    EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
    EXPECT_FALSE(is_valid_utf8("\xE2\x82"));          // truncated
    EXPECT_FALSE(is_valid_utf8("\x80"));              // lone continuation byte
}

TEST(Csv, EscapedFieldsParseBackUnchanged) {
    const Fields fields = {"plain",  "with,comma", "with;semicolon", "say \"hi\"", "two\nlines",
                           "cr\rlf", "",           " padded "};
    for (const char separator : {',', ';'}) {
        std::string line;
        for (std::size_t i = 0; i < fields.size(); ++i) {
            if (i > 0) line.push_back(separator);
            line += escape_field(fields[i], separator);
        }
        line += "\r\n";
        const auto doc = parse(line, separator);
        ASSERT_TRUE(doc.errors.empty()) << "separator " << separator;
        ASSERT_EQ(doc.rows.size(), 1u) << "separator " << separator;
        EXPECT_EQ(doc.rows[0].fields, fields) << "separator " << separator;
    }
}

TEST(Csv, EscapeQuotesOnlyWhenNeeded) {
    EXPECT_EQ(escape_field("plain"), "plain");
    EXPECT_EQ(escape_field("a;b"), "a;b");
    EXPECT_EQ(escape_field("a;b", ';'), "\"a;b\"");
    EXPECT_EQ(escape_field("a\"b"), "\"a\"\"b\"");
    EXPECT_EQ(escape_field("a\nb"), "\"a\nb\"");
}

// What an export writes: each field appended to the row built so far, quotes doubled wherever
// they stand (first, last, side by side).
TEST(Csv, AppendFieldAddsToWhatIsThereAndDoublesEveryQuote) {
    std::string row = "x,";
    append_field(row, "plain");
    EXPECT_EQ(row, "x,plain");
    row += ',';
    append_field(row, "\"a\"\"b\"");
    EXPECT_EQ(row, "x,plain,\"\"\"a\"\"\"\"b\"\"\"");
    row.clear();
    append_field(row, "");
    EXPECT_EQ(row, "");
    append_field(row, "a\r", ';');
    EXPECT_EQ(row, "\"a\r\"");
}

TEST(Csv, TrimRemovesAsciiWhitespaceAtBothEnds) {
    EXPECT_EQ(trim(" \t a b \r\n"), "a b");
    EXPECT_EQ(trim("   "), "");
    EXPECT_EQ(trim(""), "");
    // A non-breaking space is content, not ASCII whitespace.
    EXPECT_EQ(trim("\xC2\xA0x"), "\xC2\xA0x");
}

}  // namespace
}  // namespace pakt::csv

namespace pakt::csv {
namespace {

TEST(Csv, SyntaxErrorsBeyondFiftyAreCountedNotListed) {
    std::string text = "a,b\n";
    for (int i = 0; i < 1'000; ++i) text += "5\" screen,x\n";  // a stray quote on every line
    const Document doc = parse(text);
    ASSERT_EQ(doc.errors.size(), kMaxListedProblems);
    EXPECT_EQ(doc.errors.unlisted(), 1'000u - 50u);
    EXPECT_EQ(doc.errors[0].line, 2u);
    EXPECT_EQ(doc.errors[49].line, 51u);
}

}  // namespace
}  // namespace pakt::csv

namespace pakt {
namespace {

TEST(ProblemList, ListsTheFirstFiftyAndCountsTheRest) {
    ProblemList<int> list;
    EXPECT_TRUE(list.empty());
    for (int i = 0; i < 120; ++i) list.add(i);
    EXPECT_EQ(list.size(), 50u);
    EXPECT_EQ(list.unlisted(), 70u);
    EXPECT_EQ(list.total(), 120u);
    EXPECT_EQ(list[49], 49);
    int made = 0;
    list.add_with([&made] { return ++made; });
    EXPECT_EQ(made, 0);  // only counted: never built
    EXPECT_EQ(list.unlisted(), 71u);
}

TEST(ProblemList, AppendingKeepsTheCap) {
    ProblemList<int> a(3);
    ProblemList<int> b(2);
    for (int i = 0; i < 5; ++i) b.add(i);  // two listed, three counted
    a.add(-1);
    a.append(std::move(b));
    EXPECT_EQ(a.listed(), (std::vector<int>{-1, 0, 1}));
    EXPECT_EQ(a.unlisted(), 3u);
    EXPECT_EQ(a.total(), 6u);
}

TEST(Text, ControlCharactersAreRefusedExceptLineBreaksAndTabsInMultiLineText) {
    for (const std::string& bad :
         {std::string("a\0b", 3), std::string("\x1b[2J"), std::string("\x07"), std::string("\x7f"),
          std::string("\xc2\x80"), std::string("\xc2\x9f"), std::string("a\tb"),
          std::string("a\nb"), std::string("a\rb")}) {
        EXPECT_EQ(text_problem(bad), "must not contain control characters") << bad;
    }
    EXPECT_EQ(text_problem("a\r\nb\n\tc", TextKind::multi_line), std::nullopt);
    EXPECT_TRUE(text_problem("a\rb", TextKind::multi_line));
    EXPECT_TRUE(text_problem("a\x1b", TextKind::multi_line));
    EXPECT_EQ(text_problem("Grüße \xc2\xa0 \xe2\x82\xac"), std::nullopt);  // NBSP and € are text
    EXPECT_EQ(text_problem("\xff"), "must be valid UTF-8");
    EXPECT_EQ(text_problem("tab\tand\x1b", TextKind::opaque), std::nullopt);
    EXPECT_EQ(text_problem("\xff", TextKind::opaque), "must be valid UTF-8");
}

TEST(Gzip, TrailingDataAfterTheStreamIsRefused) {
    const std::string packed = gzip_compress("{\"a\": 1}");
    ASSERT_TRUE(gzip_decompress(packed, 1024).data);
    for (const std::string& tail : {std::string("garbage"), std::string(1, '\0'), packed}) {
        const auto result = gzip_decompress(packed + tail, 1024);
        EXPECT_FALSE(result.data);
        EXPECT_EQ(result.error, GunzipError::trailing_data);
    }
    EXPECT_EQ(gzip_decompress(packed.substr(0, packed.size() - 3), 1024).error,
              GunzipError::malformed);
}

TEST(Dates, OnlyTheYears2000To2100AreAccepted) {
    EXPECT_EQ(date_problem("2000-01-01"), std::nullopt);
    EXPECT_EQ(date_problem("2100-12-31"), std::nullopt);
    EXPECT_EQ(date_problem("1999-12-31"), "must be a date from 2000-01-01 to 2100-12-31");
    EXPECT_EQ(date_problem("2101-01-01"), "must be a date from 2000-01-01 to 2100-12-31");
    EXPECT_EQ(date_problem("9999-12-31"), "must be a date from 2000-01-01 to 2100-12-31");
    EXPECT_EQ(date_problem("2026-02-29"), "must be a date YYYY-MM-DD");
    EXPECT_EQ(time_problem("2026-09-01T07:30:00Z"), std::nullopt);
    EXPECT_EQ(time_problem("2100-12-31T23:59:59Z"), std::nullopt);
    EXPECT_TRUE(time_problem("2101-01-01T00:00:00Z"));
    EXPECT_TRUE(time_problem("2100-12-31T23:30:00-01:00"));  // 2101 in UTC
    EXPECT_TRUE(time_problem("1999-12-31T23:59:59Z"));
    EXPECT_EQ(time_problem("2026-09-01"), "must be an RFC 3339 time");
}

}  // namespace
}  // namespace pakt
