/* Local APIC, xAPIC (MMIO) or x2APIC (MSRs) when the CPU has it: software
 * enable, mask the LVT entries firmware may have left armed, EOI. */
#ifndef KERNEL_APIC_H
#define KERNEL_APIC_H
#include <stdint.h>

#define APIC_SPURIOUS_VECTOR 0xFF

void apic_init(void);
void apic_eoi(void);
/* ICR low word (delivery mode, vector...) to every other CPU. */
void apic_send_ipi_all_but_self(uint32_t icr_low);
/* An NMI to one CPU by its APIC ID (how an idle AP is woken). */
void apic_send_nmi(uint32_t dest);
uint32_t apic_id(void);
/* Software enable (SVR bit 8) on or off: off, the APIC takes no fixed
 * interrupt (the LVTs stay masked after it is on again). */
void apic_sw_enable(int on);
/* In-service bit for a vector (to check auto-EOI). */
int apic_in_service(int vector);

#endif
