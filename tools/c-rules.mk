# Build rules shared by tools/ and tests/src/: one program per .c file, into bin/.
CFLAGS ?= -O2 -g
CFLAGS += -Wall -Wextra -std=gnu11

all: $(addprefix bin/,$(progs))

bin/%: %.c
	@mkdir -p bin
	$(CC) $(CFLAGS) -o $@ $< $(EXTRA_SRCS) $(LDLIBS)

clean:
	rm -rf bin

.PHONY: all clean
