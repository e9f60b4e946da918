/**
 * The stored sort key of a name, so names sort as people read them (VM2 before VM10) by plain
 * byte order, through an index: lower case, and every run of digits written as its length (two
 * digits) and then its digits without leading zeros. A longer number has a longer length, so it
 * sorts after every shorter one; numbers of one length sort digit by digit. The store keeps the
 * key beside the name (`name_key`, migration natural-sort); the writer sets it with the name.
 *
 * @example
 * naturalKey('VM10'); // 'vm0210'
 * naturalKey('vm2'); //  'vm012'  (before 'vm0210')
 */
export function naturalKey(name: string): string {
  return name.toLowerCase().replace(/\d+/g, (run) => {
    const digits = run.replace(/^0+(?=\d)/, '');
    // Past 99 digits (never a real name) the length saturates and order falls back to digits.
    return String(Math.min(digits.length, 99)).padStart(2, '0') + digits;
  });
}
