/*
 * What every UMCA addon shares (C and C++): EXPORT registers one function on the addon's
 * exports, inside NAPI_MODULE_INIT.
 */
#ifndef UMCA_NAPI_H
#define UMCA_NAPI_H

#include <node_api.h>

#define EXPORT(name, function)                                                 \
  do {                                                                         \
    napi_value value;                                                          \
    napi_create_function(env, name, NAPI_AUTO_LENGTH, function, NULL, &value); \
    napi_set_named_property(env, exports, name, value);                        \
  } while (0)

#endif
