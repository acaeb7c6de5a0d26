// The original FMI's <utils/Function.h>: everything of its API is in fmi.h (this
// directory), which this header includes so that programs naming the
// original's individual headers compile unchanged.
#pragma once

#include "../fmi.h"
