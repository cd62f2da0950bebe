// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The served OpenAPI document against the router: every registered route is documented, every
// documented operation is registered, and what is served is schema/openapi.yaml byte for byte.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <string>

#include "server/http/router.hpp"
#include "tests/support/test_server.hpp"

namespace pakt::test {
namespace {

// "GET /api/v1/schools/{school_number}"
using Operations = std::set<std::string>;

std::string upper(std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
}

// A deliberately small reader of the document's top-level `paths:` block, relying on the layout
// the document keeps: path keys indented by exactly two spaces, methods by exactly four. A
// document that breaks the layout yields no operations or the wrong ones, and the tests fail.
Operations documented_operations(const std::string& yaml) {
    static const std::set<std::string> kMethods = {"get", "post", "put", "patch", "delete"};
    Operations out;
    std::istringstream lines(yaml);
    std::string line;
    bool in_paths = false;
    std::string path;
    while (std::getline(lines, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (line.empty() || line.front() == '#') continue;
        if (line.front() != ' ') {
            in_paths = line == "paths:";
            continue;
        }
        if (!in_paths || line.back() != ':') continue;
        const auto indent = line.find_first_not_of(' ');
        const std::string key = line.substr(indent, line.size() - indent - 1);
        if (indent == 2) {
            path = key;
            if (path.size() >= 2 && (path.front() == '\'' || path.front() == '"')) path = path.substr(1, path.size() - 2);
        } else if (indent == 4 && kMethods.count(key) && !path.empty()) {
            out.insert(upper(key) + " " + path);
        }
    }
    return out;
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string listing(const Operations& operations) {
    std::string out;
    for (const auto& op : operations) out += "\n  " + op;
    return out;
}

// a \ b
Operations minus(const Operations& a, const Operations& b) {
    Operations out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::inserter(out, out.end()));
    return out;
}

class OpenApi : public ::testing::Test {
protected:
    TestServer server;
    std::unique_ptr<HttpsClient> http = server.client();

    Operations router_operations() {
        Operations out;
        for (const auto& route : server.app().router().routes()) out.insert(route.method + " " + route.pattern);
        return out;
    }

    std::string served_document() {
        auto r = http->request("GET", "/api/v1/openapi.yaml");
        EXPECT_EQ(r.status, 200);
        return r.body;
    }
};

TEST_F(OpenApi, EveryRouterRouteIsDocumented) {
    const Operations documented = documented_operations(served_document());
    ASSERT_FALSE(documented.empty()) << "no operations found under 'paths:' in the served document";
    const Operations missing = minus(router_operations(), documented);
    EXPECT_TRUE(missing.empty()) << "routes the server registers but schema/openapi.yaml does not document:"
                                 << listing(missing);
}

TEST_F(OpenApi, EveryDocumentedOperationIsARouterRoute) {
    const Operations documented = documented_operations(served_document());
    ASSERT_FALSE(documented.empty()) << "no operations found under 'paths:' in the served document";
    const Operations extra = minus(documented, router_operations());
    EXPECT_TRUE(extra.empty()) << "operations schema/openapi.yaml documents but the server does not register:"
                               << listing(extra);
}

TEST_F(OpenApi, ServedDocumentIsTheSchemaFileByteForByte) {
    const std::string file = read_file(std::string(PAKT_SOURCE_DIR) + "/schema/openapi.yaml");
    const std::string served = served_document();
    EXPECT_EQ(served.size(), file.size());
    EXPECT_TRUE(served == file) << "the served document differs from schema/openapi.yaml: rebuild paktd";
}

TEST_F(OpenApi, DocumentIsServedAsYamlWithoutAuthentication) {
    auto r = http->request("GET", "/api/v1/openapi.yaml");
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.header("Content-Type"), "application/yaml");
    EXPECT_EQ(r.body.rfind("openapi: 3.1.", 0), 0u);
}

TEST(OpenApiReader, FindsOperationsOnlyInsidePaths) {
    const std::string yaml =
        "openapi: 3.1.0\n"
        "info:\n"
        "  get:\n"
        "paths:\n"
        "  /a/{id}:\n"
        "    parameters:\n"
        "      - name: id\n"
        "    get:\n"
        "      description: |\n"
        "        post:\n"
        "    delete:\n"
        "  '/b':\n"
        "    put:\n"
        "components:\n"
        "  /c:\n"
        "    post:\n";
    EXPECT_EQ(documented_operations(yaml), (Operations{"GET /a/{id}", "DELETE /a/{id}", "PUT /b"}));
}

}  // namespace
}  // namespace pakt::test
