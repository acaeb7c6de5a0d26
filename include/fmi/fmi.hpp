// fmi: the FaaS Message Interface. Include this header to use the library.
#pragma once

#include <fmi/communicator.hpp>
#include <fmi/config.hpp>
#include <fmi/errors.hpp>
#include <fmi/ops.hpp>
#include <fmi/version.hpp>
