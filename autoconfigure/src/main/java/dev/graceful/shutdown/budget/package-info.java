/**
 * The overall shutdown budget, the watchdog that enforces it, and the startup plan line.
 */
@NullMarked
package dev.graceful.shutdown.budget;

import org.jspecify.annotations.NullMarked;
