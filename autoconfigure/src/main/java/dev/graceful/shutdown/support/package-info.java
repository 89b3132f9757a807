/**
 * Shared plumbing of the shutdown steps.
 */
@NullMarked
package dev.graceful.shutdown.support;

import org.jspecify.annotations.NullMarked;
