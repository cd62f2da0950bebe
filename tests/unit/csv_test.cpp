#include "common/csv.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

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

TEST(Csv, TrimRemovesAsciiWhitespaceAtBothEnds) {
    EXPECT_EQ(trim(" \t a b \r\n"), "a b");
    EXPECT_EQ(trim("   "), "");
    EXPECT_EQ(trim(""), "");
    // A non-breaking space is content, not ASCII whitespace.
    EXPECT_EQ(trim("\xC2\xA0x"), "\xC2\xA0x");
}

}  // namespace
}  // namespace pakt::csv
