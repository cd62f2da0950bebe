# SPDX-License-Identifier: EUPL-1.2
# SPDX-FileCopyrightText: 2026 Pakt contributors
# Writes OUTPUT: a C++ file defining pakt::server::FUNCTION() (default embedded_migrations) from
# the INPUTS, NNNN_description.sql files ('|'-separated, since ';' would split the command line),
# in version order.
if(NOT FUNCTION)
    set(FUNCTION embedded_migrations)
endif()
string(REPLACE "|" ";" INPUTS "${INPUTS}")
list(SORT INPUTS)
set(body "")
foreach(file IN LISTS INPUTS)
    get_filename_component(name ${file} NAME)
    string(SUBSTRING ${name} 0 4 version)
    math(EXPR version "${version}")
    file(READ ${file} sql)
    string(APPEND body "    {${version}, \"${name}\", R\"pakt_sql(${sql})pakt_sql\"},\n")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from schema/ by tools/embed_migrations.cmake. Do not edit.
#include \"server/storage/migrator.hpp\"

namespace pakt::server {

std::span<const Migration> ${FUNCTION}() {
    static const Migration migrations[] = {
${body}    };
    return migrations;
}

}  // namespace pakt::server
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
