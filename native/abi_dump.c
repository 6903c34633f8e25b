/*
 * abi_dump: prints the C compiler's view of every item in headers/jvfio_uapi.h, one per line, in
 * list order. AbiGoldenTest compares the output with the Java layouts. Built once per architecture
 * (see native/native.mk); the ppc64le build runs under qemu-user.
 *
 * Output lines:
 *   arch <x86_64|aarch64|ppc64le>
 *   ioctl <NAME> 0x<lowercase hex>
 *   sizeof <struct> <decimal>
 *   offsetof <struct> <field> <decimal>
 *   fieldsize <struct> <field> <decimal>
 *   minsz <struct> <JAVA_CONSTANT> <decimal>     (offsetofend of the member)
 *   const <NAME> <decimal>
 *   libc <NAME> <decimal>
 */
#define _GNU_SOURCE /* MAP_ANONYMOUS, MAP_HUGETLB, O_CLOEXEC under -std=c11 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include "jvfio_uapi.h"

#if defined(__x86_64__)
#define JVFIO_ARCH "x86_64"
#elif defined(__aarch64__) && defined(__AARCH64EL__)
#define JVFIO_ARCH "aarch64"
#elif defined(__powerpc64__) && defined(__LITTLE_ENDIAN__)
#define JVFIO_ARCH "ppc64le"
#else
#error "abi_dump: architecture not supported by jvfio (x86_64, aarch64, ppc64le)"
#endif

#define DUMP_IOCTL(name) printf("ioctl %s 0x%lx\n", #name, (unsigned long)(unsigned int)(name));

#define DUMP_FIELD(s, f) \
	printf("offsetof %s %s %zu\n", #s, #f, offsetof(struct s, f)); \
	printf("fieldsize %s %s %zu\n", #s, #f, sizeof(((struct s *)0)->f));

#define DUMP_STRUCT(s) \
	printf("sizeof %s %zu\n", #s, sizeof(struct s)); \
	JVFIO_FIELDS_##s(DUMP_FIELD)

#define DUMP_MINSZ(s, name, f) \
	printf("minsz %s %s %zu\n", #s, #name, offsetof(struct s, f) + sizeof(((struct s *)0)->f));

#define DUMP_CONST(name) printf("const %s %lld\n", #name, (long long)(name));
#define DUMP_LIBC(name) printf("libc %s %lld\n", #name, (long long)(name));

int main(void)
{
	printf("arch %s\n", JVFIO_ARCH);
	JVFIO_IOCTLS(DUMP_IOCTL)
	JVFIO_STRUCTS(DUMP_STRUCT)
	JVFIO_MINSZ(DUMP_MINSZ)
	JVFIO_CONSTANTS(DUMP_CONST)
	JVFIO_LIBC_CONSTANTS(DUMP_LIBC)
	if (fflush(stdout) != 0 || ferror(stdout)) {
		perror("abi_dump: stdout");
		return EXIT_FAILURE;
	}
	return EXIT_SUCCESS;
}
