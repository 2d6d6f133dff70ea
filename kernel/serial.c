#include "serial.h"
#include "cpu.h"

#define COM1 0x3F8
/* Bounded wait for the transmitter: a missing or wedged UART must not hang
 * the kernel, it just loses output. */
#define TX_SPIN_LIMIT 100000

/* With the FIFO on, THRE (LSR bit 5) means the whole 16-byte transmit FIFO
 * is empty: after seeing it, 16 bytes go out without asking again. Every
 * LSR read is a VM exit on a hypervisor, as costly as the write itself. */
#define TX_FIFO 16
static int tx_room;

void serial_init(void)
{
    outb(COM1 + 1, 0x00);   /* no UART interrupts */
    outb(COM1 + 3, 0x80);   /* DLAB */
    outb(COM1 + 0, 0x01);   /* divisor 1 = 115200 baud */
    outb(COM1 + 1, 0x00);
    outb(COM1 + 3, 0x03);   /* 8N1 */
    outb(COM1 + 2, 0xC7);   /* FIFO on, cleared */
    outb(COM1 + 4, 0x03);   /* DTR, RTS */
    tx_room = 0;
}

void serial_putc(char c)
{
    if (c == '\n') serial_putc('\r');
    if (tx_room == 0) {
        for (int i = 0; i < TX_SPIN_LIMIT && !(inb(COM1 + 5) & 0x20); i++)
            pause();
        tx_room = TX_FIFO;
    }
    tx_room--;
    outb(COM1, (uint8_t)c);
}

void serial_write(const char *s)
{
    while (*s) serial_putc(*s++);
}
