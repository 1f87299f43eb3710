/* lookup.c: resolve each NAME with the C library's getaddrinfo() and print one line per name:
 *
 *     NAME ADDR [ADDR...]
 *
 * A name that fails is reported on stderr as "lookup: NAME: ERROR" and makes the exit status 1 (2 for a usage
 * error): the same contract as lookup.go, so tests can run both against the same /etc. Build it against glibc
 * (cc) or musl (musl-gcc -static, from Debian's musl-tools) and watch the order with
 * `strace -f -e trace=open,openat,connect` (musl opens /etc/hosts with open(), not openat()).
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

int main(int argc, char **argv) {
    if (argc < 2) {
        fputs("usage: lookup NAME...\n", stderr);
        return 2;
    }
    int status = 0;
    for (int i = 1; i < argc; i++) {
        struct addrinfo hints, *res, *ai;
        memset(&hints, 0, sizeof hints);
        hints.ai_family = AF_UNSPEC;
        hints.ai_socktype = SOCK_STREAM; /* one entry per address, not one per socket type */
        int rc = getaddrinfo(argv[i], NULL, &hints, &res);
        if (rc != 0) {
            fprintf(stderr, "lookup: %s: %s\n", argv[i], gai_strerror(rc));
            status = 1;
            continue;
        }
        fputs(argv[i], stdout);
        for (ai = res; ai != NULL; ai = ai->ai_next) {
            char buf[INET6_ADDRSTRLEN];
            const void *src = ai->ai_family == AF_INET6
                ? (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr
                : (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr;
            if (inet_ntop(ai->ai_family, src, buf, sizeof buf) != NULL)
                printf(" %s", buf);
        }
        putchar('\n');
        freeaddrinfo(res);
    }
    return status;
}
