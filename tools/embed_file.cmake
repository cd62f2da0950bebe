# SPDX-License-Identifier: EUPL-1.2
# SPDX-FileCopyrightText: 2026 Pakt contributors
# Writes OUTPUT: a C++ file defining `std::string_view NAMESPACE::FUNCTION()` that returns the
# bytes of INPUT unchanged, declared in HEADER (included as written, rooted at the repository).
# The text is emitted as adjacent raw string literals of fewer than 60,000 bytes each, cut after a
# newline where possible, because some compilers limit the length of one string literal.
# Usage: cmake -DINPUT=... -DOUTPUT=... -DHEADER=... -DNAMESPACE=... -DFUNCTION=... -P embed_file.cmake
foreach(var INPUT OUTPUT HEADER NAMESPACE FUNCTION)
    if(NOT DEFINED ${var})
        message(FATAL_ERROR "embed_file.cmake: -D${var}=... is required")
    endif()
endforeach()

set(delimiter "pakt_embed")
file(READ ${INPUT} text)
string(FIND "${text}" ")${delimiter}\"" clash)
if(NOT clash EQUAL -1)
    message(FATAL_ERROR "embed_file.cmake: ${INPUT} contains the raw string delimiter ')${delimiter}\"'")
endif()

set(chunk_limit 60000)
set(literals "")
string(LENGTH "${text}" remaining)
if(remaining EQUAL 0)
    set(literals "        \"\"\n")
endif()
while(remaining GREATER 0)
    if(remaining GREATER chunk_limit)
        string(SUBSTRING "${text}" 0 ${chunk_limit} chunk)
        string(FIND "${chunk}" "\n" last_newline REVERSE)
        if(last_newline GREATER -1)
            math(EXPR cut "${last_newline} + 1")
            string(SUBSTRING "${text}" 0 ${cut} chunk)
        else()
            set(cut ${chunk_limit})
        endif()
    else()
        set(chunk "${text}")
        set(cut ${remaining})
    endif()
    string(APPEND literals "        R\"${delimiter}(${chunk})${delimiter}\"\n")
    string(SUBSTRING "${text}" ${cut} -1 text)
    math(EXPR remaining "${remaining} - ${cut}")
endwhile()

get_filename_component(input_name ${INPUT} NAME)
file(WRITE ${OUTPUT}.tmp
"// Generated from ${input_name} by tools/embed_file.cmake. Do not edit.
#include \"${HEADER}\"

namespace ${NAMESPACE} {

std::string_view ${FUNCTION}() {
    static constexpr std::string_view kText =
${literals}        ;
    return kText;
}

}  // namespace ${NAMESPACE}
")
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
