#ifndef LAB_VERSION_H
#define LAB_VERSION_H

#define LAB_FLEET_VERSION "0.1.0"

#endif
