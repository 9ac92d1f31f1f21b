// The words PromptValues reads a property's name, its description and the prompt by: what
// names a place, a person, a code, a query, and the plausible values written when the prompt
// names none.
extension PromptValues {
    static let placeWords: Set<String> = [
        "city", "town", "location", "place", "country", "region", "destination", "origin", "address", "province", "area",
        "venue", "where", "capital", "village", "continent", "airport", "station", "locality", "district", "county", "from",
        "to", "departure", "arrival",
    ]
    static let originWords: Set<String> = ["origin", "from", "source", "departure", "start"]
    static let destinationWords: Set<String> = ["destination", "to", "target", "arrival", "end"]
    static let placePrepositions: Set<String> = [
        "in", "at", "to", "from", "near", "around", "into", "towards", "toward", "via", "visiting", "across", "for", "of", "outside",
    ]
    static let personWords: Set<String> = [
        "name", "person", "author", "user", "username", "customer", "recipient", "assignee", "owner", "contact", "employee",
        "sender", "who", "surname", "friend", "student", "patient", "manager", "attendee", "guest", "player", "artist",
        "director", "actor", "speaker", "member", "client", "passenger",
    ]
    /// Words next to a name that make it a person's: "named Ada", "Jason is 25", "Ada wrote".
    static let personCues: Set<String> = [
        "named", "called", "by", "dear", "mr", "mrs", "ms", "dr", "is", "was", "has", "had", "said", "says", "wrote", "writes",
        "lives", "works", "born", "aged",
    ]
    static let codeWords: Set<String> = [
        "timezone", "zone", "tz", "currency", "code", "symbol", "ticker", "unit", "units", "lang", "language", "locale", "iso",
        "abbreviation", "airline", "iata",
    ]
    static let queryWords: Set<String> = [
        "query", "question", "prompt", "search", "q", "input", "request", "keywords", "keyword", "term", "terms", "topic",
        "subject", "instruction", "instructions", "task",
    ]
    static let answerWords: Set<String> = [
        "answer", "response", "result", "results", "summary", "output", "reply", "details", "explanation", "report", "reasoning",
    ]
    static let weatherWords: Set<String> = ["condition", "conditions", "weather", "forecast", "sky", "outlook"]
    static let dateWords: Set<String> = ["date", "day", "birthday", "dob", "deadline", "due", "when"]
    static let urlWords: Set<String> = ["url", "link", "website", "homepage", "uri", "href", "site"]
    static let nameJoiners: Set<String> = ["de", "del", "da", "di", "van", "von", "la", "le", "du", "dos", "das"]
    static let notCodes: Set<String> = ["json", "api", "url", "id", "ok", "http", "https", "xml", "html", "csv", "pdf", "ai", "llm", "faq", "am", "pm"]
    static let weatherConditions = [
        "partly cloudy", "light rain", "heavy rain", "thunderstorms", "thunderstorm", "sunny", "cloudy", "overcast", "rainy", "rain",
        "showers", "drizzle", "snowy", "snow", "sleet", "hail", "foggy", "fog", "windy", "stormy", "clear", "humid", "misty", "hot", "cold",
    ]

    static let months: [String: Int] = [
        "january": 1, "february": 2, "march": 3, "april": 4, "may": 5, "june": 6, "july": 7, "august": 8, "september": 9,
        "october": 10, "november": 11, "december": 12, "jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8,
        "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    ]
    static let weekdays: Set<String> = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]

    /// Words that start sentences and questions, never names.
    static let commonWords: Set<String> = [
        "a", "an", "the", "i", "me", "my", "we", "our", "you", "your", "he", "she", "it", "its", "they", "them", "their", "this",
        "that", "these", "those", "what", "what's", "whats", "which", "who", "whom", "whose", "when", "where", "why", "how",
        "how's", "is", "are", "was", "were", "be", "been", "do", "does", "did", "can", "could", "would", "should", "will",
        "shall", "may", "might", "must", "have", "has", "had", "and", "or", "but", "if", "then", "so", "also", "please",
        "hello", "hi", "hey", "thanks", "thank", "ok", "okay", "yes", "no", "not", "tell", "give", "show", "get", "find",
        "list", "extract", "make", "create", "write", "book", "send", "check", "look", "search", "compare", "convert",
        "calculate", "compute", "summarize", "summarise", "describe", "explain", "translate", "let", "let's", "lets",
        "in", "at", "on", "for", "from", "to", "of", "with", "by", "about", "as", "into", "after", "before", "today",
        "tomorrow", "yesterday", "now", "here", "there", "all", "any", "some", "every", "each", "both", "weather", "time",
        "use", "call", "answer", "return", "provide", "generate", "set", "add", "remove", "delete", "update", "schedule",
        "remind", "order", "buy", "pay", "play", "open", "close", "start", "stop", "run", "note", "plan", "help", "say",
        "user", "assistant", "system", "tool", "question", "task", "output", "input", "example", "correct", "given",
        "current", "based", "respond", "reply", "sure", "instance", "schema", "json",
    ]

    /// Numbers by what they measure: the property words that say so, the words around a number
    /// that say so, and a plausible range when the text gives none.
    static let numberConcepts: [(property: Set<String>, context: Set<String>, plausible: ClosedRange<Double>, whole: Bool)] = [
        (["temperature", "temp", "celsius", "fahrenheit", "degrees", "heat"],
         ["degrees", "degree", "°", "celsius", "fahrenheit", "temperature", "temp", "c", "f"], -5...32, false),
        (["age", "aged"], ["years", "year", "old", "aged", "age", "yo"], 18...80, true),
        (["price", "cost", "amount", "total", "fee", "budget", "salary", "income", "revenue", "balance"],
         ["$", "€", "£", "usd", "eur", "gbp", "dollars", "dollar", "euros", "euro", "pounds", "price", "cost", "costs", "priced", "total"],
         5...500, false),
        (["percent", "percentage", "humidity", "probability", "ratio"], ["%", "percent", "percentage", "humidity"], 0...100, true),
        (["distance", "km", "miles", "length", "radius"], ["km", "kilometers", "kilometres", "miles", "mile", "mi", "meters", "metres", "distance"], 1...100, false),
        (["duration", "minutes", "hours", "seconds", "days", "weeks", "months", "nights"],
         ["minutes", "minute", "min", "hours", "hour", "seconds", "second", "sec", "days", "day", "weeks", "week", "months", "month", "nights", "night"],
         1...14, true),
        (["rating", "stars", "score"], ["stars", "star", "rating", "score", "points", "out"], 1...5, true),
        (["weight", "kg", "lbs"], ["kg", "kilograms", "kilogram", "lbs", "pounds", "grams", "g"], 1...100, false),
        (["count", "quantity", "qty", "number", "num", "people", "guests", "persons", "adults", "children", "passengers",
          "travelers", "travellers", "seats", "items", "limit", "size", "top", "k", "max"],
         ["items", "times", "pieces", "units", "copies", "people", "guests", "persons", "adults", "children", "kids", "passengers",
          "travelers", "travellers", "seats", "tickets", "rooms", "results"], 1...10, true),
        (["year"], ["year", "since"], 2000...2025, true),
        (["latitude", "lat"], ["latitude", "lat", "n", "s"], -90...90, false),
        (["longitude", "lon", "lng", "long"], ["longitude", "lon", "lng", "e", "w"], -180...180, false),
    ]

    static let firstNames = ["Ada", "Alan", "Grace", "Linus", "Margaret", "Dennis", "Barbara", "Ken"]
    static let lastNames = ["Lovelace", "Turing", "Hopper", "Torvalds", "Hamilton", "Ritchie", "Liskov", "Thompson"]

    /// Plausible strings by the words of a property's name, the first matching row wins.
    static let plausibleStrings: [(Set<String>, [String])] = [
        (["email", "mail"], ["ada.lovelace@example.com", "alan.turing@example.com", "grace.hopper@example.com"]),
        (["url", "link", "website", "homepage", "uri", "href", "site"], ["https://example.com", "https://example.org/docs"]),
        (["phone", "mobile", "telephone", "tel"], ["+1-555-0100", "+1-555-0142", "+44 20 7946 0018"]),
        (["country"], ["France", "Japan", "Germany", "Canada", "Italy", "Spain", "Brazil", "Australia"]),
        (["address"], ["221B Baker Street, London", "1600 Amphitheatre Parkway, Mountain View", "8 Rue de Rivoli, Paris"]),
        (["city", "town", "location", "place", "destination", "origin", "where", "capital", "venue", "region"],
         ["Paris", "London", "Tokyo", "New York", "Berlin", "Madrid", "Rome", "Sydney", "Toronto", "Amsterdam"]),
        (["timezone", "tz", "zone"], ["UTC", "Europe/Paris", "America/New_York", "Asia/Tokyo"]),
        (["currency"], ["USD", "EUR", "GBP", "JPY"]),
        (["lang", "locale"], ["en", "fr", "de", "es"]),
        (["language"], ["English", "French", "German", "Spanish"]),
        (["company", "organization", "organisation", "org", "employer", "business"], ["Acme Corp", "Globex", "Initech", "Umbrella"]),
        (["condition", "conditions", "weather", "forecast", "sky", "outlook"], ["sunny", "partly cloudy", "light rain", "clear", "overcast"]),
        (["status", "state"], ["active", "pending", "completed"]),
        (["color", "colour"], ["blue", "green", "red", "yellow"]),
        (["name", "person", "author", "user", "username", "customer", "recipient", "assignee", "owner", "contact", "employee",
          "sender", "who", "surname", "friend", "student", "patient", "manager", "attendee", "guest", "member", "client",
          "passenger"],
         ["Ada Lovelace", "Alan Turing", "Grace Hopper", "Linus Torvalds", "Margaret Hamilton", "Dennis Ritchie", "Barbara Liskov", "Ken Thompson"]),
    ]
}
