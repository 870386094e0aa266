/* The version --version prints. */
#ifndef VMEXITPROF_VERSION_H
#define VMEXITPROF_VERSION_H

#define VMEXITPROF_VERSION "0.1.0"

#endif
