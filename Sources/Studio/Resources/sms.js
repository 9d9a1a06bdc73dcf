// SMS length as a phone counts it (GSM 03.38): 160 septets in one message, 153 per part of a
// longer one; one character outside the GSM-7 alphabet makes it UCS-2: 70 UTF-16 units, 67 per part.
const basic = new Set([..."@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
  "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"]);
const extended = new Set([..."\f^{}\\[~]|€"]);

export function measure(text) {
  const ucs2Characters = [];
  let septets = 0;
  for (const character of text) {
    if (basic.has(character)) septets += 1;
    else if (extended.has(character)) septets += 2;
    else if (!ucs2Characters.includes(character)) ucs2Characters.push(character);
  }
  if (ucs2Characters.length === 0) {
    return { encoding: "GSM-7", length: septets, segments: septets <= 160 ? 1 : Math.ceil(septets / 153), ucs2Characters };
  }
  const units = text.length; // UTF-16 code units: an emoji takes two
  return { encoding: "UCS-2", length: units, segments: units <= 70 ? 1 : Math.ceil(units / 67), ucs2Characters };
}
