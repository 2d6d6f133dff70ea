/* PCI configuration space through the legacy I/O mechanism (0xCF8/0xCFC),
 * bus 0 only: every access is a VM exit, and the devices the kernel looks
 * for are put on the root bus. */
#ifndef KERNEL_PCI_H
#define KERNEL_PCI_H
#include <stdint.h>

struct pci_dev { uint8_t dev, fn; };

uint32_t pci_read32(struct pci_dev d, uint8_t reg);
void pci_write16(struct pci_dev d, uint8_t reg, uint16_t v);
void pci_write32(struct pci_dev d, uint8_t reg, uint32_t v);
/* The port of I/O BAR `reg`. A BAR the firmware left unassigned (qboot
 * assigns none) is given `base`, rounded up to the BAR's size, as an OS
 * would; *assigned then says so. 0 when it is no I/O BAR or doesn't fit. */
uint16_t pci_io_bar(struct pci_dev d, uint8_t reg, uint16_t base, int *assigned);
/* The first function on bus 0 with this vendor and device ID: 0, or -1. */
int pci_find(uint16_t vendor, uint16_t device, struct pci_dev *out);

#endif
