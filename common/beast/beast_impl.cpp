// SPDX-License-Identifier: EUPL-1.2
// SPDX-FileCopyrightText: 2026 Pakt contributors
// The one translation unit that compiles Boost.Asio, Asio's SSL support and Boost.Beast.
// Every other target links pakt_beast and sees only declarations (separate compilation).
#include <boost/asio/impl/src.hpp>
#include <boost/asio/ssl/impl/src.hpp>
#include <boost/beast/src.hpp>
