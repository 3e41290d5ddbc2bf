/**
 * A string as error messages echo it: JSON-quoted, cut after 64 characters (with its length)
 * so that a rejection never carries a megabyte of what it rejects.
 * Internal.
 */
export const quote = (text: string): string =>
  text.length <= 64 ? JSON.stringify(text) : `${JSON.stringify(text.slice(0, 64))}… (${text.length} characters)`
