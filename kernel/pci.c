#include "pci.h"
#include "cpu.h"

static uint32_t addr(struct pci_dev d, uint8_t reg)
{
    return 0x80000000u | (uint32_t)d.dev << 11 | (uint32_t)d.fn << 8 | (reg & 0xFCu);
}

uint32_t pci_read32(struct pci_dev d, uint8_t reg)
{
    outl(0xCF8, addr(d, reg));
    return inl(0xCFC);
}

void pci_write16(struct pci_dev d, uint8_t reg, uint16_t v)
{
    outl(0xCF8, addr(d, reg));
    outw((uint16_t)(0xCFC + (reg & 2)), v);
}

void pci_write32(struct pci_dev d, uint8_t reg, uint32_t v)
{
    outl(0xCF8, addr(d, reg));
    outl(0xCFC, v);
}

uint16_t pci_io_bar(struct pci_dev d, uint8_t reg, uint16_t base, int *assigned)
{
    *assigned = 0;
    uint32_t bar = pci_read32(d, reg);
    if (!(bar & 1)) return 0;                   /* a memory BAR */
    if (bar & ~3u & 0xFFFF) return (uint16_t)(bar & ~3u);
    /* sizing (PCI 3.0 6.2.5.1): all ones in, the size's mask out */
    pci_write32(d, reg, 0xFFFFFFFFu);
    uint32_t size = (~(pci_read32(d, reg) & 0xFFFCu) + 1) & 0xFFFFu;
    if (size == 0 || size > 0x1000) {
        pci_write32(d, reg, bar);
        return 0;
    }
    uint32_t port = ((uint32_t)base + size - 1) & ~(size - 1);
    if (port + size > 0x10000) {
        pci_write32(d, reg, bar);
        return 0;
    }
    pci_write32(d, reg, port);
    if ((pci_read32(d, reg) & ~3u & 0xFFFF) != port) return 0;
    *assigned = 1;
    return (uint16_t)port;
}

int pci_find(uint16_t vendor, uint16_t device, struct pci_dev *out)
{
    for (uint8_t dev = 0; dev < 32; dev++) {
        for (uint8_t fn = 0; fn < 8; fn++) {
            struct pci_dev d = { dev, fn };
            uint32_t id = pci_read32(d, 0x00);
            if ((id & 0xFFFF) == 0xFFFF) {
                if (fn == 0) break;        /* no device in this slot */
                continue;
            }
            if ((id & 0xFFFF) == vendor && id >> 16 == device) {
                *out = d;
                return 0;
            }
            /* header type bit 7: more functions than function 0 */
            if (fn == 0 && !(pci_read32(d, 0x0C) >> 16 & 0x80)) break;
        }
    }
    return -1;
}
