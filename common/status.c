#include "status.h"

/* The numbers run 0, 1, 2, ... in the order of the list: each one is its own position. */
enum cw_status_position {
#define CW_STATUS(name, number, message, comment) CW_POSITION_##name,
#include "status.def"
#undef CW_STATUS
	CW_POSITION_END
};
#define CW_STATUS(name, number, message, comment)      \
	_Static_assert(CW_POSITION_##name == (number), \
	               "status " #name ": numbers run 0, 1, 2, ...");
#include "status.def"
#undef CW_STATUS
_Static_assert((int)CW_POSITION_END == (int)CW_STATUS_END, "CW_STATUS_END follows the last status");

/* A switch without default, built from the list: -Wswitch flags a code that has no case. */
const char *cw_strerror(cw_status st)
{
	switch (st) {
#define CW_STATUS(name, number, message, comment) \
	case CW_##name:                           \
		return message;
#include "status.def"
#undef CW_STATUS
	case CW_STATUS_END:
		break;
	}
	return "unknown status";
}
