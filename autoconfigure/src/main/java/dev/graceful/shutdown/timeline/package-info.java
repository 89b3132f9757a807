/**
 * The shutdown timeline and what every step shares: the stages and their phases, the
 * base of the lifecycle beans that make up the steps, the record of the shutdown as it
 * happens, and the budget.
 */
@NullMarked
package dev.graceful.shutdown.timeline;

import org.jspecify.annotations.NullMarked;
