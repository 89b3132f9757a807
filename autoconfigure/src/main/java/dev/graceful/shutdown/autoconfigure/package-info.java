/**
 * Auto-configuration and configuration properties of the graceful shutdown starter.
 */
@NullMarked
package dev.graceful.shutdown.autoconfigure;

import org.jspecify.annotations.NullMarked;
