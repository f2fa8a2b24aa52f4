// The little XML S3 answers with (ListBucketResult, InitiateMultipartUploadResult, Error,
// DeleteResult, CopyObjectResult): elements by tag name, text unescaped. Enough for S3's flat,
// attribute-free response bodies; not a general XML parser (no CDATA, comments or namespaces).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fluss {

// The raw content of every <tag>...</tag> in `xml`, in order (an element is not searched inside
// itself; <tag/> gives an empty content).
std::vector<std::string_view> XmlElements(std::string_view xml, std::string_view tag);
// The unescaped text of the first <tag> in `xml`, if any.
std::optional<std::string> XmlText(std::string_view xml, std::string_view tag);
// &lt; &gt; &amp; &quot; &apos; and numeric character references decoded.
std::string XmlUnescape(std::string_view text);
// The five predefined entities escaped, for keys inside request bodies.
std::string XmlEscape(std::string_view text);

}  // namespace fluss
