/** Placeholder: being written. */
export {}
