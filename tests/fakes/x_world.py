"""A seeded, parametric X world: who posts about a niche in a week, and how it looks.

`generate_world()` builds the recent-search index of a few niches the way X would
show it, so discovery's ranking and cost can be judged on something that looks like
X rather than a toy. Per niche at `scale=1`, about 10,000 posts match the product's
query (`core.niches.build_query`) over 7 days, written by (share of matching posts):

- casual accounts (~46 %): log-normal followers (median ~300, sigma 1.2), a few likes,
  1-3 niche posts a week, mentioning the creators they follow ~15-25 % of the time;
- keyword-stuffing spam (~33 %): days-old accounts with default avatars and digits in
  the handle, dozens of posts a day, hashtag stuffing and links, no engagement;
- nano creators (~6 %), mid/macro creators (~3 %), brands and shops (~3 %: promotional
  posts with links and codes, some promoted-only, i.e. `is:nullcast`), news (~1 %);
- ~34 authentic micro creators (10K-50K followers, 5-15 niche posts a week, 60-90 % of
  their timeline on the niche, engagement 0.5-3 % of followers with log-normal noise,
  older than a year, some `paid_partnership` posts): the ground truth;
- ~10 bought-audience micro accounts (10K-50K followers, engagement < 0.1 %, young-ish,
  following thousands, often a default avatar or a digits handle) and ~30 micro
  accounts of other topics that use the niche's keyword exactly once.

On top of the matching posts the index holds their replies (excluded by `-is:reply`)
and some posts in other languages. Engagement and impressions accrue over a post's
first hours, as on X, so the freshest posts look weaker than they will.

Every account also has a timeline (`XWorld.timeline`): its indexed posts (the very
same objects) plus off-niche posts, replies, reposts and older posts beyond the
7 days, generated lazily and deterministically per account. Simplification: only the
niche posts of the last 7 days are in the search index; the rest of a timeline is
not searchable. Posts fall in `[observed_at - 7 d + 1 h, observed_at - 1 min]`, so a
world generated once per test session still shows the same index an hour later.
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from adapters.x.query_match import parse_query
from adapters.x.sample import derive_entities
from adapters.x.sample_gen import NICHES as SAMPLE_NICHES
from adapters.x.sample_gen import shortened_profile
from core.niches import NicheQuery, build_query, matches_niche

NICHES_DEFAULT = ("fitness", "coffee", "gaming")
KINDS = ("creator", "nano", "casual", "spam", "brand", "news", "big", "bought", "other_topic")

WEEK = 7 * 86_400.0
_HOUR = 3_600.0
_TARGET_POSTS = 10_000  # matching posts per niche at scale 1
_CASUAL_SHARE = 0.46
_SPAM_SHARE = 0.33
_OLD_MARGIN = _HOUR  # keep clear of the window's old edge
_NEW_MARGIN = 60.0
_TWITTER_EPOCH_MS = 1288834974657
_SNOWFLAKE_USERS_FROM = datetime(2013, 6, 1, tzinfo=UTC).timestamp()
_DEFAULT_AVATAR = "https://abs.twimg.com/sticky/default_profile_images/default_profile_normal.png"
_TIMELINE_LEN = {
    "creator": 200,
    "nano": 120,
    "big": 150,
    "bought": 120,
    "other_topic": 120,
    "brand": 120,
    "news": 150,
    "casual": 60,
    "spam": 150,
}
_CREATOR_ORIGINALS = 120
# posting activity by UTC hour (audiences in the Americas and Europe)
_HOURLY = (
    *(0.7, 0.55, 0.45, 0.35, 0.3, 0.3, 0.35, 0.45, 0.6, 0.75, 0.85, 0.9),
    *(0.95, 1.0, 1.0, 1.0, 1.0, 0.98, 0.95, 0.95, 0.92, 0.9, 0.85, 0.8),
)

# --- vocabulary ------------------------------------------------------------------

_FIRST = [
    "mara",
    "jonah",
    "priya",
    "leo",
    "ines",
    "theo",
    "nadia",
    "caleb",
    "rosa",
    "felix",
    "amara",
    "owen",
    "lena",
    "mateo",
    "iris",
    "kofi",
    "hana",
    "silas",
    "noor",
    "elio",
    "tessa",
    "ravi",
    "juno",
    "dara",
    "milo",
    "yara",
    "ezra",
    "lia",
    "remy",
    "anya",
    "kai",
    "sol",
    "bea",
    "arlo",
    "zoe",
    "liam",
    "maya",
    "noah",
    "ava",
    "ethan",
    "isla",
    "omar",
    "sara",
    "luca",
    "emma",
    "finn",
    "chloe",
    "jack",
    "ruby",
    "sam",
    "nina",
    "alex",
    "jade",
    "marco",
    "elena",
    "ivan",
    "aria",
    "dev",
    "tara",
    "ben",
    "lucy",
    "max",
    "eva",
    "tom",
    "ada",
    "hugo",
    "mia",
]
_LAST = [
    "ash",
    "bram",
    "cor",
    "dun",
    "fen",
    "gal",
    "har",
    "ives",
    "kel",
    "lor",
    "mer",
    "nor",
    "pell",
    "quen",
    "rav",
    "sel",
    "tam",
    "vey",
    "wren",
    "stone",
    "brook",
    "field",
    "ridge",
    "moor",
    "dale",
    "holt",
    "vane",
    "ley",
    "ton",
    "park",
    "reed",
    "lane",
    "hart",
    "cole",
]
_CITIES = (
    "Lisbon",
    "Austin, TX",
    "Manchester, UK",
    "Toronto",
    "Melbourne",
    "Berlin",
    "Denver, CO",
    "Cape Town",
    "Dublin",
    "Portland, OR",
    "Singapore",
    "London",
    "New York, NY",
    "Los Angeles, CA",
    "Chicago, IL",
    "São Paulo",
    "Madrid",
    "",
    "",
    "",
)
_EMOJI = ("", "", "", "", " 🔥", " 💪", " 🙌", " ✨", " 😅", " 👀", " ❤️", " 🎉")

# niche words for handles, brand names and bios (falls back to the niche name)
_NICHE_VOCAB: dict[str, dict[str, tuple[str, ...]]] = {
    "fitness": {
        "handle": ("fit", "lifts", "gains", "strong", "trains", "reps"),
        "brand": ("Ironclad", "RepMax", "Peak Form", "GripForge", "Kettle & Co"),
        "product": ("resistance bands", "protein", "kettlebells", "lifting straps", "gym bags"),
        "bio": (
            "Strength coach",
            "Online personal trainer",
            "Helping busy people get fit",
            "Gym owner",
            "Fitness writer",
            "Powerlifter and coach",
        ),
    },
    "coffee": {
        "handle": ("brews", "beans", "roasts", "cups", "grind", "pourover"),
        "brand": ("Northbean", "Crema Supply", "Tamp & Pour", "Daybreak Roasters", "Kettlewise"),
        "product": ("single-origin beans", "grinders", "pour over kits", "espresso cups"),
        "bio": (
            "Home barista",
            "Specialty coffee roaster",
            "Coffee educator",
            "Cafe owner",
            "Latte art nerd",
            "Coffee writer",
        ),
    },
    "gaming": {
        "handle": ("plays", "games", "gg", "pixel", "respawn", "quest"),
        "brand": ("Pixelforge", "Lootcrate Co", "HyperGrip", "NovaKeys", "Respawn Gear"),
        "product": ("controllers", "headsets", "mechanical keyboards", "gaming chairs"),
        "bio": (
            "Variety streamer",
            "Indie games reviewer",
            "Speedrunner and caster",
            "Retro collector",
            "Gaming journalist",
            "Esports caster",
        ),
    },
}

_CREATOR_LINES: dict[str, tuple[str, ...]] = {
    "fitness": (
        "Leg day done: 5x5 squats, then a long walk. Simple {kw} works",
        "Consistency beats intensity. Three {kw} sessions a week is plenty to start",
        "Quick 20-minute home workout, no equipment needed",
        "New deadlift PR today after 6 months of patient training at the gym",
        "Rest days are part of the plan, not a failure. #fitness",
        "Protein does not need to be complicated: eggs, beans, yogurt. Fuel your {kw}",
        "Form check Friday: send me your squat videos, I reply to every one #workout",
        "Most people quit the gym in week three. Plan for week three",
        "Mobility before lifting: 8 minutes that saved my shoulders #fitfam",
        "Client update: down 12kg in a year with 3 workouts a week. So proud",
        "You do not need a personal trainer to start, but you do need a plan",
        "Progressive overload explained in one picture #fitness",
        "Full-body workout for beginners: squat, push, hinge, pull, carry",
        "Morning gym crowd vs evening gym crowd, which are you?",
        "The best {kw} program is the one you still follow in six months",
        "Deload week. Lighter weights, same habits #fitness",
    ),
    "coffee": (
        "Dialled in the new Ethiopian beans: 18g in, 40g out, 28 seconds of espresso",
        "Pour over ratio I keep coming back to: 1:16. Your {kw} deserves a scale",
        "Latte art attempt number 400, finally a tulip",
        "Grinder matters more than the machine for good {kw}",
        "Cafe visit: washed Colombian, bright and juicy. Great specialty coffee spot",
        "Cold brew season is never really over #coffee",
        "Water chemistry is the most underrated part of {kw}",
        "Home barista tip: purge the steam wand every single time",
        "Light roast vs dark roast, my honest ranking #coffee",
        "Tasting notes are not flavourings. A thread on how to taste coffee",
        "Espresso dialling flowchart I wish I had when I started",
        "Visited a roastery today, the barista team there is unreal",
        "Fresh beans, rested 10 days, and the {kw} finally tastes like the bag says",
        "Milk steaming 101: stretch early, spin late. Your latte will thank you",
    ),
    "gaming": (
        "Stream tonight: finishing the roguelike run, come hang #gaming",
        "This small indie game deserves way more attention #videogames",
        "Hot take: difficulty settings are good for {kw}",
        "Controller or keyboard for platformers? Asking every gamer I know",
        "Finally beat the final boss after 40 tries. Streamer tears were shed",
        "Weekly {kw} roundup: the five releases worth your time",
        "Speedrun practice: shaved 4 seconds off the water level #gamer",
        "Review: a cozy farming sim that respects your time #gaming",
        "Every gamer has that one game they replay every winter. Mine?",
        "Patch notes are out and the meta is about to change #videogames",
        "Retro {kw} setup tour: CRT, original carts, zero regrets",
        "Being a small streamer is 90% talking to yourself and I love it",
        "Accessibility options are the best thing to happen to {kw} in years",
        "Co-op night with the community went way past midnight #gaming",
    ),
}
_CASUAL_LINES: dict[str, tuple[str, ...]] = {
    "fitness": (
        "Finally back at the gym after two weeks off",
        "Sore from yesterday's workout but worth it",
        "New year, new gym membership, same me",
        "Did a home workout in my living room and the cat judged me",
        "Anyone else find the gym way too crowded in January?",
        "Trying to make fitness a habit this month",
        "My legs after leg day: no thank you",
        "Walked to the gym, did not go in. Still counts?",
    ),
    "coffee": (
        "Third coffee today, send help",
        "Nothing beats the first latte of the morning",
        "My local barista remembered my order today and I feel seen",
        "Bought a fancy espresso machine, now I am poor but caffeinated",
        "Coffee date with an old friend this afternoon",
        "Is oat milk in a latte a crime? asking for me",
        "Cannot function before coffee, sorry not sorry",
        "Tried the new cafe on my street, great coffee, tiny chairs",
    ),
    "gaming": (
        "Gaming all weekend, no regrets",
        "New controller arrived, time for some late night gaming",
        "Lifelong gamer with a backlog of 200 games, send help",
        "Watching my favourite streamer instead of sleeping again",
        "That boss fight made me want to throw my controller #gaming",
        "My partner just discovered videogames and I have never been happier",
        "Old school gaming night with the siblings",
        "Is it even a weekend without some gaming",
    ),
}
_CREATOR_GENERIC = (
    "Three {kw} mistakes I see every week, a thread",
    "My honest take on {kw} after ten years",
    "Quick {kw} tip: start smaller than you think",
    "New video: everything I learned about {kw} this year",
    "Question from the inbox: how do I get started with {kw}?",
    "Unpopular opinion about {kw}: simple beats fancy",
    "Saturday {kw} session done, notes below",
    "If you are new to {kw}, save this post",
    "The {kw} gear I actually use, no affiliate links",
    "What I wish someone told me about {kw} on day one",
)
_CASUAL_GENERIC = (
    "Anyone else into {kw} lately?",
    "Trying to get better at {kw} this month",
    "Spent the evening on {kw}, no regrets",
    "Is it just me or is {kw} everywhere on my feed",
    "Finally tried {kw} and I get the hype",
    "Weekend plans: {kw} and a nap",
)
_NICHE_REPLIES = (
    "Totally agree, {kw} is all about consistency",
    "Saving this for my next {kw} session",
    "Great thread on {kw}, thank you",
    "Where do you get your {kw} gear?",
    "Been into {kw} for a year and this is spot on",
    "This is the {kw} advice I needed today",
    "Wait, this changes how I think about {kw}",
)
_OFF_REPLIES = (
    "Haha so true",
    "Congrats!!",
    "This made my day",
    "Same here honestly",
    "Thank you so much!",
    "100% agree",
    "Sending good vibes",
    "Ha, I needed this",
    "Love this",
)
_QUOTES = (
    "This. So much this. {kw}",
    "Everyone into {kw} should read this",
    "Adding to this: {kw} takes time",
    "Good take on {kw} here",
)
_BRAND_LINES = (
    "New drop: our {product} collection is live. Use code {code} for {pct}% off {link}",
    "Restocked! The {product} everyone asked for are back {link}",
    "Weekend sale on all {product}: {pct}% off with code {code} {link}",
    "Meet the team behind our {product} {link}",
    "Giveaway! Follow and repost to win our {product} bundle #giveaway",
    "Free shipping on {product} this week only {link}",
)
_BRAND_OFF = (
    "We are hiring! Join our small team {link}",
    "Happy holidays from all of us",
    "Our store is closed on Monday for inventory",
    "Thank you for 5 amazing years of support",
    "Customer favourite of the month, voted by you",
)
_BRAND_REPLIES = (
    "Thanks for reaching out! Please DM us your order number",
    "So glad you love it!",
    "Sorry about that, our team will DM you shortly",
)
_NEWS_NICHE = (
    "Study finds {kw} habits are changing across the country {link}",
    "Report: the {kw} industry grew faster than expected this year {link}",
    "Why {kw} is suddenly everywhere, explained {link}",
    "The {kw} trend, by the numbers {link}",
)
_HEADLINES = (
    "City council approves new transit budget",
    "Storm warning issued for the coast this weekend",
    "Central bank holds interest rates steady",
    "Local team clinches playoff spot in overtime",
    "Tech giant unveils new phone lineup",
    "Housing prices cool for third straight month",
    "Election results: what we know so far",
    "Scientists map a new deep-sea ecosystem",
    "Heatwave expected to break records",
    "New study links sleep and memory",
    "Museum reopens after two-year renovation",
    "Minimum wage rise takes effect today",
    "Train delays after signal failure downtown",
    "Wildfire contained after week-long battle",
    "Stock markets close higher on jobs data",
    "School board votes on new calendar",
    "Bridge repairs to close highway lanes",
    "Rare comet visible this week",
    "Parliament debates new privacy law",
    "Airline strike disrupts holiday plans",
)
_OUTLETS = (
    "Metro Daily",
    "The Ledger",
    "City Wire",
    "Morning Post",
    "Daily Dispatch",
    "Courier News",
    "Evening Standard Times",
    "Coastline News",
    "The Bulletin",
    "Capital Report",
)
_GENERAL = (
    "Monday again. Emails first, everything else later",
    "Grateful for this community, thank you all",
    "Weekend plans: absolutely nothing, and I cannot wait",
    "Reading a great book on habits this week",
    "Reminder to drink some water today",
    "The sunset tonight was unreal",
    "My dog learned to open the fridge. Send help",
    "Finally fixed the leaky tap myself",
    "Hot take: pineapple belongs on pizza",
    "Traffic was brutal this morning",
    "Anyone have a good podcast recommendation?",
    "Rainy Sunday, soup and a movie",
    "Cleaned my whole flat and found three umbrellas",
    "Voting in the local election today, go vote",
    "Happy birthday to my little sister!",
    "Booked a weekend to see my grandparents",
    "Learning to bake bread, attempt number two",
    "This week flew by",
    "Who else is still using a phone from 2019?",
    "Started a new job today, wish me luck",
    "Spring cleaning my inbox: 4,000 unread",
    "The new season of that show is so good",
    "My neighbour's cat visits every morning now",
    "Tried a new ramen place downtown, incredible",
    "Back from a long walk in the hills",
    "Why are airport snacks so expensive",
    "Taxes done. I deserve a medal",
    "Plant update: the basil survived another week",
    "First snow of the year!",
    "Friday night pizza is a tradition now",
    "Thinking about learning a language this year, any tips?",
    "Power cut for two hours, read by candlelight",
    "Playlist for focus time, drop your favourites",
    "Late night thoughts: we should all call our parents more",
    "Lost my keys for the third time this week",
    "Sunday reset: laundry, groceries, long nap",
)
_CREATOR_LIFE = (
    "Behind the scenes of filming today",
    "Thank you all for the kind messages this week",
    "Taking a few days off to recharge",
    "Q&A tomorrow, drop your questions below",
    "New podcast episode out, link in bio",
    "Newsletter goes out tonight",
)
_CROSSOVER = (
    "Not my usual content, but {kw} today was a lot of fun",
    "Took a break from the usual and tried {kw}",
    "Random one: anyone have {kw} recommendations?",
    "My followers keep asking about {kw}, so here is my one take",
)
_SPAM_LINES = (
    "🔥 Best {kw} deals of the year!! Get yours now 👉 {link}",
    "Make $500/day from home, DM me 💰 {link}",
    "💯 FREE {kw} guide, limited spots!! {link}",
    "Click here for the {kw} secret they do not want you to know {link}",
    "Giveaway 🎁 follow + RT to win, {kw} lovers only {link}",
    "Top {kw} tips 🚀🚀 {link}",
)
_SPAM_OFF = (
    "Make $500/day from home, DM me 💰 {link}",
    "💸 Passive income secrets 👉 {link}",
    "Free giveaway, click fast!! {link}",
)
_SPAM_TAGS = [
    "motivation",
    "giveaway",
    "follow",
    "viral",
    "trending",
    "money",
    "deals",
    "sale",
    "free",
    "win",
    "fyp",
    "explore",
    "love",
    "instagood",
    "followback",
    "success",
    "hustle",
]
_GENERAL_TAGS = ("MondayMotivation", "weekend", "blessed", "tbt", "goals", "life")
_LANG_LINES = {
    "es": ("Hoy toca {kw}, quién se apunta", "Nuevo video sobre {kw} en mi canal"),
    "de": ("Heute wieder {kw}, Motivation ist hoch", "Neues Video zu {kw} ist online"),
    "pt": ("Hoje tem {kw}, bora", "Vídeo novo sobre {kw} no canal"),
}
_LANG_OFF = {
    "es": ("Buenos días a todos", "Qué semana tan larga"),
    "de": ("Guten Morgen zusammen", "Was für eine lange Woche"),
    "pt": ("Bom dia a todos", "Que semana longa"),
}
_CASUAL_BIOS = (
    "",
    "",
    "Just here for the threads",
    "Dog person",
    "Learning every day",
    "Coffee, books, long walks",
    "Opinions my own",
    "Dad of two",
    "Nurse. Runner of errands",
    "Student",
    "Mostly lurking",
)
_SPAM_BIOS = ("", "", "💰 DM for promo", "Follow back 100%", "Crypto | Deals | Giveaways")
_BUY_BIOS = (
    "Entrepreneur | Investor | DM for promo",
    "Follow for daily motivation. Collabs open",
    "Living my best life. Business inquiries in DMs",
    "",
)
_OTHER_TOPICS = (
    "cooking",
    "photography",
    "skincare",
    "running",
    "travel",
    "yoga",
    "fashion",
    "vegan",
    "crypto",
    "fitness",
    "coffee",
    "gaming",
)


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _snowflake(t: float, seq: int) -> str:
    """A post id shaped like X's: time-ordered, so newer posts have bigger ids."""
    ms = int(t * 1000) - _TWITTER_EPOCH_MS
    return str((ms << 22) | (seq & 0x3FFFFF))


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


def _poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


# --- accounts --------------------------------------------------------------------


@dataclass(slots=True)
class _Account:
    """What the generator knows about an account, beyond its public user object."""

    user: dict[str, Any]
    kind: str
    niche: str  # the niche whose search index it posts into
    topic: str | None  # what its timeline is about (None: many topics)
    rev: str  # "new" (post_count/repost_count) or "old" field names
    followers: int
    er: float  # interactions / followers on a typical niche post
    reach: float  # impressions / followers on a typical post
    share: float  # share of its timeline on the niche
    n_orig: int  # niche posts (not replies) in the window
    n_reply: int  # niche replies in the window
    lang: str = "en"
    alt_lang: float = 0.0  # share of posts in another language
    mention_p: float = 0.0
    paid_p: float = 0.0
    quote_p: float = 0.02
    rt_p: float = 0.05
    active: tuple[float, float] = (0.0, 0.0)  # posting span inside the window
    indexed: list[dict[str, Any]] = field(default_factory=list)
    last: float = 0.0
    anchor: tuple[float, str] | None = None
    created: float = 0.0


@dataclass(slots=True)
class _Niche:
    name: str
    nq: NicheQuery
    words: tuple[str, ...]
    tags: tuple[str, ...]
    creator_lines: tuple[str, ...]
    casual_lines: tuple[str, ...]
    handle_words: tuple[str, ...]
    brands: tuple[str, ...]
    products: tuple[str, ...]
    bios: tuple[str, ...]
    spam_tags: tuple[str, ...] = ()
    targets: list[tuple[str, float]] = field(default_factory=list)  # (handle, weight)
    target_cum: list[float] = field(default_factory=list)
    brand_handles: list[str] = field(default_factory=list)
    creator_handles: list[str] = field(default_factory=list)
    fans: list[str] = field(default_factory=list)
    recent: list[tuple[float, str]] = field(default_factory=list)


class _Builder:
    """Everything a post needs (vocabulary, handles, mention targets); shared by the
    index build and the lazy timelines, read-only once the index is built."""

    def __init__(self, seed: int, niches: Sequence[str], scale: float, now: float) -> None:
        self.seed = seed
        self.scale = scale
        self.now = now
        self.window_start = now - WEEK + _OLD_MARGIN
        self.window_end = now - _NEW_MARGIN
        self.rng = random.Random(seed)
        self.accounts: dict[str, _Account] = {}
        self.by_handle: dict[str, dict[str, Any]] = {}
        self.ids: set[str] = set()
        self.seq = 0
        world_queries = [build_query(n) for n in niches]
        self.nqs = world_queries

        def clean(texts: Iterable[str]) -> tuple[str, ...]:
            return tuple(t for t in texts if not any(matches_niche(t, q) for q in world_queries))

        self.clean = clean
        self.general = clean(_GENERAL)
        self.creator_life = clean(_GENERAL + _CREATOR_LIFE)
        self.off_replies = clean(_OFF_REPLIES)
        self.headlines = clean(_HEADLINES)
        self.brand_off = clean(_BRAND_OFF)
        self.spam_off = clean(_SPAM_OFF)
        self.general_tags = clean(f"#{t}" for t in _GENERAL_TAGS)
        spam_tags = clean(f"#{t}" for t in _SPAM_TAGS)
        self.niches = {
            n: self._niche(n, nq, spam_tags) for n, nq in zip(niches, world_queries, strict=True)
        }
        self.topics = [t for t in _OTHER_TOPICS if t not in self.niches and t in SAMPLE_NICHES]
        self.topic_lines = {t: self._topic_lines(t) for t in self.topics}
        self.topic_tags = {
            t: clean(f"#{tag}" for tag in SAMPLE_NICHES[t]["tags"]) for t in self.topics
        }

    def _niche(self, name: str, nq: NicheQuery, spam_tags: tuple[str, ...]) -> _Niche:
        words = tuple(t for t in nq.terms if not t.startswith("#"))
        tags = tuple(t for t in nq.terms if t.startswith("#"))
        if not tags:
            tags = (f"#{name.replace(' ', '')}",)
        vocab = _NICHE_VOCAB.get(name, {})
        sample = SAMPLE_NICHES.get(name, {})
        creator = _CREATOR_LINES.get(name) or tuple(sample.get("lines", ())) + _CREATOR_GENERIC
        casual = _CASUAL_LINES.get(name) or _CASUAL_GENERIC
        stem = "".join(c for c in name if c.isalnum())[:7] or "topic"
        others = [q for q in self.nqs if q.key != nq.key]
        own_spam = tuple(t for t in spam_tags if not any(matches_niche(t, q) for q in others))
        extra = tuple(
            f"#{t}"
            for t in sample.get("tags", ())
            if not any(matches_niche(f"#{t}", q) for q in others)
        )
        return _Niche(
            name=name,
            nq=nq,
            words=words,
            tags=tags,
            creator_lines=creator,
            casual_lines=casual,
            handle_words=vocab.get("handle") or tuple(sample.get("handle", ())) or (stem,),
            brands=vocab.get("brand") or (f"{stem.capitalize()} Supply", f"The {stem} Shop"),
            products=vocab.get("product") or (f"{name} essentials", f"{name} kits"),
            bios=vocab.get("bio") or tuple(sample.get("bio", ())) or (f"All things {name}",),
            spam_tags=tuple(dict.fromkeys(tags + extra + own_spam)),
        )

    def _topic_lines(self, topic: str) -> tuple[str, ...]:
        data = SAMPLE_NICHES[topic]
        texts = [line.format(kw=kw) for line in data["lines"] for kw in data["kw"]]
        return self.clean(dict.fromkeys(texts)) or self.general

    # --- ids and handles ---------------------------------------------------------

    def user_id(self, rng: random.Random, created: float) -> str:
        while True:
            if created >= _SNOWFLAKE_USERS_FROM:
                uid = _snowflake(created + rng.random(), rng.randrange(1 << 22))
            else:
                uid = str(rng.randrange(10_000_000, 2_000_000_000))
            if uid not in self.ids:
                self.ids.add(uid)
                return uid

    def handle(self, rng: random.Random, stems: Sequence[str], digits: int = 0) -> str:
        base = rng.choice(stems)
        if digits:
            base = base[: 15 - digits] + "".join(rng.choice("0123456789") for _ in range(digits))
        handle, n = base[:15], 2
        while handle.lower() in self.by_handle:
            suffix = str(n)
            handle = base[: 15 - len(suffix)] + suffix
            n += 1
        return handle

    def person_stems(self, rng: random.Random, niche: _Niche, first: str, last: str) -> list[str]:
        """Handle candidates for a person; on-topic ones carry a niche word (`mara_lifts`)."""
        if rng.random() < 0.3:
            return [f"{first}{last}", f"{first}_{last}", f"{first}{last[0]}", f"{last}{first}"]
        word = rng.choice(niche.handle_words)
        return [f"{first}_{word}", f"{first}{word}", f"{word}with{first}", f"the{word}{first}"]

    def add_user(self, acct: _Account) -> None:
        self.accounts[str(acct.user["id"])] = acct
        self.by_handle[str(acct.user["username"]).lower()] = acct.user

    # --- posts -------------------------------------------------------------------

    def activity_time(self, rng: random.Random, low: float, high: float) -> float:
        """A moment in [low, high), following the daily rhythm of posting."""
        if high <= low:
            return low
        for _ in range(8):
            t = rng.uniform(low, high)
            if rng.random() < _HOURLY[int(t // _HOUR) % 24]:
                return t
        return t

    def pick_target(self, rng: random.Random, niche: _Niche, exclude: str) -> str | None:
        if not niche.targets:
            return None
        for _ in range(4):
            x = rng.random() * niche.target_cum[-1]
            lo, hi = 0, len(niche.target_cum) - 1
            while lo < hi:
                mid = (lo + hi) // 2
                if niche.target_cum[mid] < x:
                    lo = mid + 1
                else:
                    hi = mid
            handle = niche.targets[lo][0]
            if handle.lower() != exclude.lower():
                return handle
        return None

    def link(self, rng: random.Random, acct: _Account) -> tuple[str, str]:
        """(t.co link as in the text, the expanded URL behind it)."""
        code = "".join(
            rng.choice("abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
            for _ in range(10)
        )
        tco = f"https://t.co/{code}"
        handle = str(acct.user["username"]).lower()
        if acct.kind == "brand":
            expanded = f"https://shop.{handle}.example/p/{rng.randrange(10**5)}"
        elif acct.kind == "news":
            expanded = f"https://{handle}.example/story/{rng.randrange(10**6)}"
        elif acct.kind in {"spam", "bought"}:
            expanded = f"https://bit.ly/{code[:7]}"
        else:
            expanded = f"https://youtu.be/{code}"
        return tco, expanded

    def text(
        self,
        acct: _Account,
        rng: random.Random,
        *,
        on_niche: bool,
        reply_to: str | None,
        quote: bool,
        lang: str,
    ) -> tuple[str, list[str], bool]:
        """(text, expanded URLs of its links in order, paid partnership)."""
        niche = self.niches[acct.niche]
        kind = acct.kind
        kw = rng.choice(niche.words) if niche.words else niche.tags[0][1:]
        links: list[str] = []
        paid = False

        def add_link() -> str:
            tco, expanded = self.link(rng, acct)
            links.append(expanded)
            return tco

        if lang != "en":
            pool: tuple[str, ...] = _LANG_LINES[lang] if on_niche else _LANG_OFF[lang]
            body = rng.choice(pool).format(kw=kw)
        elif reply_to is not None:
            if kind == "brand" and rng.random() < 0.6:
                body = rng.choice(_BRAND_REPLIES)
                if on_niche:
                    body += f" {rng.choice(niche.tags)}"
            elif on_niche and kind == "spam":
                body = rng.choice(_SPAM_LINES).format(kw=kw, link=add_link())
            elif on_niche:
                body = rng.choice(_NICHE_REPLIES).format(kw=kw)
            else:
                body = rng.choice(self.off_replies)
        elif quote and on_niche:
            body = rng.choice(_QUOTES).format(kw=kw)
        elif kind == "spam":
            if on_niche:
                body = rng.choice(_SPAM_LINES).format(kw=kw, link=add_link())
                stuffed = rng.sample(niche.spam_tags, min(len(niche.spam_tags), rng.randint(4, 9)))
                body += " " + " ".join(stuffed)
            else:
                body = rng.choice(self.spam_off).format(link=add_link())
                body += " " + " ".join(
                    rng.sample(self.general_tags, min(3, len(self.general_tags)))
                )
        elif kind == "brand":
            if on_niche:
                line = rng.choice(_BRAND_LINES)
                body = line.format(
                    product=rng.choice(niche.products),
                    code=f"{acct.niche[:4].upper()}{rng.choice((10, 15, 20, 25))}",
                    pct=rng.choice((10, 15, 20, 25, 30)),
                    link=add_link() if "{link}" in line else "",
                )
                body += f" {rng.choice(niche.tags)}"
            else:
                body = rng.choice(self.brand_off).format(link=add_link())
        elif kind == "news":
            outlet = rng.choice(_OUTLETS)
            if on_niche:
                body = rng.choice(_NEWS_NICHE).format(kw=kw, link=add_link())
            else:
                lead = "BREAKING: " if rng.random() < 0.15 else f"{outlet}: "
                body = f"{lead}{rng.choice(self.headlines)} {add_link()}"
        elif kind == "other_topic":
            if on_niche:
                body = rng.choice(_CROSSOVER).format(kw=kw)
            else:
                body = rng.choice(self.topic_lines[str(acct.topic)])
                tags = self.topic_tags.get(str(acct.topic), ())
                if tags and rng.random() < 0.4:
                    body += f" {rng.choice(tags)}"
        elif on_niche:
            lines = niche.casual_lines if kind == "casual" else niche.creator_lines
            body = rng.choice(lines).format(kw=kw)
            if kind != "casual" and rng.random() < 0.3:
                body += " " + " ".join(
                    rng.sample(niche.tags, rng.randint(1, min(2, len(niche.tags))))
                )
            if kind in {"creator", "nano", "big"} and rng.random() < 0.08:
                body += f" {add_link()}"
            if rng.random() < acct.paid_p and niche.brand_handles:
                paid = True
                body += f" #ad with @{rng.choice(niche.brand_handles)}"
        else:
            pool = self.creator_life if kind in {"creator", "nano", "big"} else self.general
            body = rng.choice(pool)
            if rng.random() < 0.1:
                body += f" {rng.choice(self.general_tags)}"

        if on_niche and lang == "en" and not paid and rng.random() < acct.mention_p:
            for _ in range(1 if rng.random() < 0.8 else 2):
                target = self.pick_target(rng, niche, str(acct.user["username"]))
                if target is not None and f"@{target}" not in body:
                    body += f" @{target}" if rng.random() < 0.5 else f" via @{target}"
        if on_niche and not matches_niche(body, niche.nq):
            body += f" {rng.choice(niche.tags)}" if rng.random() < 0.6 else f" {kw}"
        body += rng.choice(_EMOJI) if kind not in {"news", "brand"} else ""
        if reply_to is not None:
            body = f"@{reply_to} {body}"
        return body[:280], links, paid

    def metrics(
        self, acct: _Account, rng: random.Random, t: float, *, on_niche: bool, reply: bool
    ) -> dict[str, int]:
        """Public metrics of a post, grown to what they are at `self.now`."""
        age_h = max(0.0, (self.now - t) / _HOUR)
        maturity = max(0.02, 1 - math.exp(-age_h / 8))
        z = rng.gauss(0, 1)
        if acct.kind == "spam":
            interactions = acct.followers * 0.0005 + (0.05 if rng.random() < 0.3 else 0.0)
            views = acct.followers * rng.uniform(0.01, 0.06) + _poisson(rng, 2)
        else:
            noise = math.exp(0.5 * z + 0.25 * rng.gauss(0, 1) - 0.156)
            interactions = acct.followers * acct.er * noise
            views = (
                acct.followers * acct.reach * math.exp(0.45 * z + 0.25 * rng.gauss(0, 1) - 0.133)
            )
            if not on_niche and acct.kind != "other_topic":
                interactions *= 0.7
            if acct.kind == "other_topic" and on_niche:
                interactions *= 0.6
            if acct.kind == "casual" and rng.random() < 0.003:
                boost = _log_uniform(rng, 20, 300)  # a casual post that took off
                interactions *= boost
                views *= boost
        if reply:
            interactions *= 0.06
            views *= 0.1
        interactions *= maturity
        likes = _poisson(rng, interactions * 0.80)
        reposts = _poisson(rng, interactions * 0.09)
        replies = _poisson(rng, interactions * 0.08)
        quotes = _poisson(rng, interactions * 0.03)
        impressions = round(views * maturity)
        # engagement per impression rarely passes ~12 %
        impressions = max(impressions, 8 * (likes + reposts + replies + quotes) + _poisson(rng, 3))
        return {
            "repost_count" if acct.rev == "new" else "retweet_count": reposts,
            "reply_count": replies,
            "like_count": likes,
            "quote_count": quotes,
            "bookmark_count": _poisson(rng, likes * 0.04),
            "impression_count": impressions,
        }

    def post(
        self,
        acct: _Account,
        rng: random.Random,
        t: float,
        seq: int,
        *,
        on_niche: bool,
        reply: bool,
        quote_of: str | None = None,
        retweet: bool = False,
    ) -> dict[str, Any]:
        """One v2 post object by `acct` at epoch `t`."""
        niche = self.niches[acct.niche]
        post_id = _snowflake(t, seq)
        uid = str(acct.user["id"])
        lang = acct.lang
        if lang == "en" and acct.alt_lang and rng.random() < acct.alt_lang:
            lang = rng.choice(tuple(_LANG_LINES))
        obj: dict[str, Any] = {"id": post_id, "text": "", "author_id": uid}
        if retweet:
            author = self.pick_target(rng, niche, str(acct.user["username"])) or "x"
            body = rng.choice(niche.creator_lines).format(kw=rng.choice(niche.words or ("it",)))
            if not on_niche:
                body = rng.choice(self.general)
            original = _snowflake(t - rng.uniform(600, 2 * 86_400), rng.randrange(1 << 21))
            obj["text"] = f"RT @{author}: {body}"[:280]
            entities = derive_entities(obj["text"], self.by_handle.get)
            if entities:
                obj["entities"] = entities
            obj["referenced_tweets"] = [{"type": "retweeted", "id": original}]
            obj["conversation_id"] = original
            count = "repost_count" if acct.rev == "new" else "retweet_count"
            obj["public_metrics"] = {
                count: _poisson(rng, 20),
                "reply_count": 0,
                "like_count": 0,
                "quote_count": 0,
                "bookmark_count": 0,
                "impression_count": 0,
            }
        else:
            reply_to: str | None = None
            if reply:
                reply_to = self.reply_target(acct, rng, niche)
            text, links, paid = self.text(
                acct,
                rng,
                on_niche=on_niche,
                reply_to=reply_to,
                quote=quote_of is not None,
                lang=lang,
            )
            obj["text"] = text
            obj["conversation_id"] = post_id
            if reply_to is not None:
                parent = _snowflake(t - rng.uniform(60, 36_000), rng.randrange(1 << 21))
                obj["referenced_tweets"] = [{"type": "replied_to", "id": parent}]
                obj["in_reply_to_user_id"] = str(self.by_handle[reply_to.lower()]["id"])
                obj["conversation_id"] = parent
            elif quote_of is not None:
                obj["referenced_tweets"] = [{"type": "quoted", "id": quote_of}]
            obj["public_metrics"] = self.metrics(acct, rng, t, on_niche=on_niche, reply=reply)
            entities = derive_entities(text, self.by_handle.get)
            for url, expanded in zip(entities.get("urls", ()), links, strict=False):
                url["expanded_url"] = expanded
                url["display_url"] = expanded.split("://", 1)[1][:26]
            if entities:
                obj["entities"] = entities
            if paid:
                obj["paid_partnership"] = True
            if acct.kind == "brand" and on_niche and not reply and rng.random() < 0.3:
                # a promoted-only ad: paid reach, little engagement
                obj["_nullcast"] = True
                metrics = obj["public_metrics"]
                metrics["impression_count"] = int(
                    metrics["impression_count"] * _log_uniform(rng, 10, 60)
                )
        obj["created_at"] = _iso(t)
        obj["lang"] = lang
        obj["edit_history_tweet_ids"] = [post_id]
        return obj

    def reply_target(self, acct: _Account, rng: random.Random, niche: _Niche) -> str:
        handle = str(acct.user["username"])
        fans_first = acct.kind in {"creator", "nano", "big", "brand", "bought"}
        if fans_first and niche.fans and rng.random() < 0.7:
            return rng.choice(niche.fans)
        target = self.pick_target(rng, niche, handle)
        if target is None:
            target = rng.choice(niche.fans) if niche.fans else handle
        return target


# --- the world -------------------------------------------------------------------


@dataclass
class XWorld:
    """A generated X: the 7-day search index (`dataset`), timelines and ground truth.

    `dataset` has the layout of `adapters.x.sample_gen.generate()`: `observed_at`,
    `note`, `users`, `posts` (the search index, newest first) and `labels`
    (`bought_audience`, `authentic_micro` per niche, `kind` per account id).
    """

    dataset: dict[str, Any] = field(repr=False)
    observed_at: datetime
    _builder: _Builder | None = field(repr=False, compare=False, default=None)
    _timelines: dict[str, list[dict[str, Any]]] = field(
        repr=False, compare=False, default_factory=dict
    )
    _ceilings: dict[str, frozenset[str]] = field(repr=False, compare=False, default_factory=dict)

    @property
    def _b(self) -> _Builder:
        if self._builder is None:
            raise RuntimeError("an XWorld comes from generate_world()")
        return self._builder

    def timeline(self, user_id: str) -> list[dict[str, Any]]:
        """The account's posts, newest first: its indexed posts (the same objects) plus
        off-niche posts, replies, reposts and older posts. Empty for unknown ids."""
        uid = str(user_id)
        cached = self._timelines.get(uid)
        if cached is None:
            acct = self._b.accounts.get(uid)
            cached = [] if acct is None else _timeline(self._b, acct)
            self._timelines[uid] = cached
        return cached

    def kind(self, user_id: str) -> str:
        return self._b.accounts[str(user_id)].kind

    def niche_of(self, user_id: str) -> str | None:
        """What the account posts about: its niche, its own topic (`other_topic`), or
        None (news: many topics)."""
        return self._b.accounts[str(user_id)].topic

    def search_niche(self, user_id: str) -> str:
        """The niche whose search index the account's in-window posts are in."""
        return self._b.accounts[str(user_id)].niche

    def ids_of(self, kind: str, niche: str | None = None) -> frozenset[str]:
        """Ids of the accounts of a kind (posting into `niche`'s index, if given)."""
        return frozenset(
            uid
            for uid, a in self._b.accounts.items()
            if a.kind == kind and (niche is None or a.niche == niche)
        )

    def authentic_micro(self, niche: str) -> frozenset[str]:
        """Ground truth: the niche's authentic micro creators."""
        return frozenset(self.dataset["labels"]["authentic_micro"].get(niche, ()))

    def recall_ceiling(self, niche: str) -> frozenset[str]:
        """The authentic micro creators with at least one post the niche's query finds."""
        if niche not in self._ceilings:
            matcher = parse_query(build_query(niche).query)
            found = set()
            for uid in self.authentic_micro(niche):
                acct = self._b.accounts[uid]
                if not acct.user.get("protected") and any(
                    matcher(p, acct.user) for p in acct.indexed
                ):
                    found.add(uid)
            self._ceilings[niche] = frozenset(found)
        return self._ceilings[niche]

    @property
    def bought_audience(self) -> frozenset[str]:
        return frozenset(self.dataset["labels"]["bought_audience"])


def _timeline(b: _Builder, acct: _Account) -> list[dict[str, Any]]:
    uid = str(acct.user["id"])
    rng = random.Random(zlib.crc32(uid.encode()) + b.seed)
    base_seq = (1 << 21) | (zlib.crc32(uid.encode()) & 0xFFFFF)
    posts = list(acct.indexed)
    k = 0

    def make(t: float, *, on_niche: bool, reply: bool, retweet: bool = False) -> None:
        nonlocal k
        k += 1
        seq = base_seq + k * 7
        quote = not retweet and not reply and on_niche and rng.random() < acct.quote_p
        quote_of = (
            _snowflake(t - rng.uniform(600, 86_400), rng.randrange(1 << 21)) if quote else None
        )
        posts.append(
            b.post(
                acct,
                rng,
                t,
                seq,
                on_niche=on_niche,
                reply=reply,
                quote_of=quote_of,
                retweet=retweet,
            )
        )

    niche_in_window = acct.n_orig + acct.n_reply
    reply_share = acct.n_reply / niche_in_window if niche_in_window else 0.2
    if acct.kind == "other_topic":
        off_in_window = rng.randint(8, 20)
        weekly = off_in_window
        older_share = 0.0
    else:
        off_in_window = round(niche_in_window * (1 - acct.share) / acct.share)
        weekly = niche_in_window + off_in_window
        older_share = acct.share
    if acct.anchor is not None:
        t, post_id = acct.anchor
        posts.append(b.post(acct, rng, t, int(post_id) & 0x3FFFFF, on_niche=False, reply=False))
    start = max(b.window_start, acct.created)
    for _ in range(off_in_window):
        make(
            b.activity_time(rng, start, acct.last), on_niche=False, reply=rng.random() < reply_share
        )
    for _ in range(_poisson(rng, weekly * acct.rt_p)):
        make(b.activity_time(rng, start, acct.last), on_niche=False, reply=False, retweet=True)
    # older posts, back from the window's start until the timeline is long enough
    # (creators: at least _CREATOR_ORIGINALS posts that are neither replies nor reposts)
    target = _TIMELINE_LEN[acct.kind]
    originals = _CREATOR_ORIGINALS if acct.kind == "creator" else 0
    originals -= sum(1 for p in posts if "referenced_tweets" not in p)
    gap = WEEK / max(weekly * (1 + acct.rt_p), 0.5)
    t = b.now - WEEK - _HOUR
    # error diffusion rather than coin flips: any stretch of the timeline keeps close
    # to the account's share, as people's habits do
    carry = rng.random()
    while len(posts) < target or originals > 0:
        t -= rng.expovariate(1 / gap)
        if t <= acct.created:
            break
        carry += older_share
        on_niche = carry >= 1
        carry -= on_niche
        if rng.random() < acct.rt_p:
            make(t, on_niche=on_niche, reply=False, retweet=True)
            continue
        reply = rng.random() < reply_share
        make(t, on_niche=on_niche, reply=reply)
        originals -= not reply
    posts.sort(key=lambda p: int(p["id"]), reverse=True)
    return posts


# --- generation ------------------------------------------------------------------


def _user(  # noqa: PLR0913  one keyword-only argument per field of an X user object
    b: _Builder,
    rng: random.Random,
    *,
    handle: str,
    name: str,
    created: float,
    description: str,
    followers: int,
    following: int,
    rev: str,
    posts_per_day: float,
    listed: int,
    verified: bool = False,
    protected: bool = False,
    default_avatar: bool = False,
    url: str = "",
    location: str | None = None,
) -> dict[str, Any]:
    uid = b.user_id(rng, created)
    age_days = max(1.0, (b.now - created) / 86_400)
    post_count = max(20, round(age_days * posts_per_day * rng.uniform(0.7, 1.3)))
    count_name = "post_count" if rev == "new" else "tweet_count"
    # X sends the website as a t.co link, the address behind it in `entities.url`.
    user: dict[str, Any] = {
        "id": uid,
        "name": name,
        "username": handle,
        "created_at": _iso(created),
        "description": description,
        "location": rng.choice(_CITIES) if location is None else location,
        "url": url,
        "profile_image_url": _DEFAULT_AVATAR
        if default_avatar
        else f"https://pbs.twimg.com/profile_images/{uid}/{handle.lower()[:6]}_normal.jpg",
        "verified": verified,
        "protected": protected,
        "public_metrics": {
            "followers_count": followers,
            "following_count": following,
            count_name: post_count,
            "listed_count": listed,
            "like_count": round(age_days * rng.uniform(0.5, 12)),
        },
    }
    return shortened_profile(user)


def _make_account(b: _Builder, niche: _Niche, kind: str, index: int) -> _Account:
    """A new account of `kind` posting into `niche` (user object and posting plan)."""
    rng = b.rng
    rev = "new" if index % 2 == 0 else "old"
    day = 86_400.0
    first, last = rng.choice(_FIRST), rng.choice(_LAST)
    name = f"{first.capitalize()} {last.capitalize()}{rng.choice(('', 'e', 'er', 'wood', 'son'))}"
    mention_p = paid_p = alt_lang = 0.0
    quote_p, rt_p, lang = 0.02, 0.05, "en"
    topic: str | None = niche.name
    n_reply = 0
    bio_niche = rng.choice(niche.bios)
    kw0 = niche.words[0] if niche.words else niche.name
    if kind == "creator" or kind == "nano" or kind == "big" or kind == "other_topic":
        if kind == "creator" or kind == "other_topic":
            followers = round(_log_uniform(rng, 10_000, 49_999))
            er = _log_uniform(rng, 0.007, 0.023)
            reach = _log_uniform(rng, 0.15, 0.45)
        elif kind == "nano":
            followers = round(_log_uniform(rng, 1_000, 9_999))
            er = _log_uniform(rng, 0.012, 0.045)
            reach = _log_uniform(rng, 0.2, 0.5)
        else:
            followers = round(_log_uniform(rng, 50_000, 2_000_000))
            er = 0.012 * (50_000 / followers) ** 0.3 * _log_uniform(rng, 0.6, 1.4)
            reach = _log_uniform(rng, 0.04, 0.2)
        created = b.now - rng.uniform(400, 5_000) * day
        if kind == "other_topic":
            topic = rng.choice(b.topics) if b.topics else "life"
            tdata = SAMPLE_NICHES.get(topic, {})
            handle_words = tuple(tdata.get("handle", ())) or ("life",)
            word = rng.choice(handle_words)
            stems = [f"{first}_{word}", f"{first}{word}", f"the{word}{first}"]
            description = rng.choice(b.clean(tdata.get("bio", ())) or ("Creator",))
            share = 0.0
            n_orig = 1
        else:
            stems = b.person_stems(rng, niche, first, last)
            low_share, high_share = {
                "creator": (0.62, 0.88),
                "nano": (0.5, 0.8),
                "big": (0.4, 0.7),
            }[kind]
            share = rng.uniform(low_share, high_share)
            lo, hi = {"creator": (4, 13), "nano": (3, 9), "big": (3, 9)}[kind]
            n_orig = rng.randint(lo, hi)
            n_reply = _poisson(rng, n_orig * 0.25)
            # usually about the niche, but one in five says nothing of it
            if index % 5:
                description = f"{bio_niche}. {kw0.capitalize()} tips, honest reviews"
                description += rng.choice(("", ". Opinions my own", f" {niche.tags[0]}", " 🇺🇸"))
            else:
                description = rng.choice(("Creator. Dog dad.", "Making things. DMs open", ""))
            if kind == "creator" and rng.random() < 0.1:
                alt_lang = 0.2
            if rng.random() < (0.5 if kind == "creator" else 0.3):
                paid_p = rng.uniform(0.05, 0.15)
            mention_p = 0.08
            quote_p = 0.03
        handle = b.handle(rng, stems, digits=1 if rng.random() < 0.08 else 0)
        following = round(_log_uniform(rng, 150, 2_500))
        listed = round(followers * _log_uniform(rng, 0.003, 0.015))
        verified = rng.random() < {"creator": 0.12, "other_topic": 0.12, "nano": 0.05}.get(
            kind, 0.5
        )
        user = _user(
            b,
            rng,
            handle=handle,
            name=name,
            created=created,
            description=description,
            followers=followers,
            following=following,
            rev=rev,
            listed=listed,
            posts_per_day=rng.uniform(1.5, 5),
            verified=verified,
            url=f"https://linktr.ee/{handle.lower()}" if rng.random() < 0.6 else "",
        )
    elif kind == "bought":
        followers = round(_log_uniform(rng, 10_000, 49_999))
        er = _log_uniform(rng, 0.0001, 0.0008)
        reach = _log_uniform(rng, 0.002, 0.012)
        created = b.now - rng.uniform(60, 330) * day
        digits = rng.random() < 0.55
        avatar = rng.random() < 0.45
        stems = b.person_stems(rng, niche, first, last)
        handle = b.handle(rng, stems, digits=rng.randint(5, 8) if digits else 0)
        description = rng.choice(_BUY_BIOS)
        if rng.random() < 0.6:
            description = (description + f" {rng.choice(niche.tags)}").strip()
        share = rng.uniform(0.5, 0.85)
        n_orig = rng.randint(5, 14)
        n_reply = _poisson(rng, 1)
        if rng.random() < 0.4:
            paid_p = rng.uniform(0.1, 0.2)
        user = _user(
            b,
            rng,
            handle=handle,
            name=name,
            created=created,
            description=description,
            followers=followers,
            following=rng.randint(2_000, 7_500),
            rev=rev,
            listed=rng.randint(0, 6),
            posts_per_day=rng.uniform(0.5, 4),
            verified=rng.random() < 0.15,
            default_avatar=avatar,
        )
    elif kind == "brand":
        brand = rng.choice(niche.brands)
        suffix = rng.choice(("", " Store", " Official", " Co", " Shop"))
        name = f"{brand}{suffix}"
        stem = "".join(c for c in name.lower() if c.isalnum())
        handle = b.handle(rng, [stem[:15], f"{stem[:11]}shop", f"get{stem[:12]}"])
        # shops of every size, a third of them micro-sized like the creators they sponsor
        low, high = (10_000, 49_999) if index % 3 == 0 else (3_000, 200_000)
        followers = round(_log_uniform(rng, low, high))
        er = _log_uniform(rng, 0.0005, 0.003)
        reach = _log_uniform(rng, 0.01, 0.05)
        created = b.now - rng.uniform(500, 4_500) * day
        product = rng.choice(niche.products)
        description = rng.choice(
            (
                f"Official store of {brand}. {product.capitalize()} shipped worldwide",
                f"Official account of {brand}. Shop {product} below",
                f"{brand}: {product} for every budget. Customer care: DM us",
            )
        )
        share = rng.uniform(0.75, 0.95)
        n_orig = rng.randint(4, 10)
        n_reply = _poisson(rng, 2)
        user = _user(
            b,
            rng,
            handle=handle,
            name=name,
            created=created,
            description=description,
            followers=followers,
            following=round(_log_uniform(rng, 50, 1_500)),
            rev=rev,
            listed=round(followers * _log_uniform(rng, 0.001, 0.005)),
            posts_per_day=rng.uniform(1, 4),
            verified=rng.random() < 0.4,
            url=f"https://shop.{handle.lower()}.example",
        )
    elif kind == "news":
        outlet = rng.choice(_OUTLETS)
        name = f"{outlet}{rng.choice(('', ' News', ' Live', ' Now', ' Local'))}"
        stem = "".join(c for c in name.lower() if c.isalnum())
        handle = b.handle(rng, [stem[:15], f"{stem[:12]}hq", f"the{stem[:12]}"])
        followers = round(_log_uniform(rng, 20_000, 1_500_000))
        er = _log_uniform(rng, 0.0002, 0.0015)
        reach = _log_uniform(rng, 0.01, 0.05)
        created = b.now - rng.uniform(1_500, 5_500) * day
        description = f"{name}: breaking news, analysis and more. Tips: news@{stem[:10]}.example"
        share = rng.uniform(0.04, 0.12)
        n_orig = rng.randint(1, 4)
        topic = None
        quote_p = 0.05
        user = _user(
            b,
            rng,
            handle=handle,
            name=name,
            created=created,
            description=description,
            followers=followers,
            following=round(_log_uniform(rng, 10, 800)),
            rev=rev,
            listed=round(followers * _log_uniform(rng, 0.01, 0.03)),
            posts_per_day=rng.uniform(20, 80),
            verified=rng.random() < 0.6,
            url=f"https://{handle.lower()}.example",
        )
    elif kind == "spam":
        followers = round(_log_uniform(rng, 1, 300)) if rng.random() < 0.9 else 0
        er, reach = 0.0, 0.0
        created = b.now - rng.uniform(3, 120) * day
        word = rng.choice((*niche.handle_words, kw0.replace(" ", "")[:8], "deals", "promo"))
        handle = b.handle(
            rng,
            [f"{word}{first}", f"{first}{word}", f"{word}deals"],
            digits=rng.randint(4, 9) if rng.random() < 0.85 else 0,
        )
        name = rng.choice((first.capitalize(), f"{first.capitalize()} {word.capitalize()}"))
        per_day = _log_uniform(rng, 12, 60)
        days = rng.uniform(1, 7)
        span_end = b.window_end - rng.uniform(0, max(0.0, 7 - days)) * day
        span_start = max(b.window_start, span_end - days * day, created)
        n_orig = max(1, round(per_day * (span_end - span_start) / day))
        n_reply = _poisson(rng, n_orig * 0.1)
        share = 0.92
        rt_p = 0.02
        mention_p = 0.1
        user = _user(
            b,
            rng,
            handle=handle,
            name=name,
            created=created,
            description=rng.choice(_SPAM_BIOS),
            followers=followers,
            following=rng.randint(1_500, 7_000),
            rev=rev,
            listed=0,
            posts_per_day=per_day,
            verified=rng.random() < 0.08,
            default_avatar=rng.random() < 0.75,
            location="",
        )
        return _Account(
            user=user,
            kind=kind,
            niche=niche.name,
            topic=niche.name,
            rev=rev,
            followers=followers,
            er=er,
            reach=reach,
            share=share,
            n_orig=n_orig,
            n_reply=n_reply,
            mention_p=mention_p,
            rt_p=rt_p,
            active=(span_start, span_end),
            created=created,
        )
    else:  # casual
        followers = min(40_000, max(3, round(300 * math.exp(rng.gauss(0, 1.2)))))
        er = _log_uniform(rng, 0.008, 0.04)
        reach = _log_uniform(rng, 0.1, 0.4)
        created = b.now - rng.uniform(30, 5_000) * day
        stems = [f"{first}{last}", f"{first}_{last}", f"{first}{last[0]}", f"{last}{first}"]
        if rng.random() < 0.15:
            stems = b.person_stems(rng, niche, first, last)
        handle = b.handle(rng, stems, digits=rng.randint(1, 4) if rng.random() < 0.25 else 0)
        description = rng.choice(_CASUAL_BIOS)
        if rng.random() < 0.25:
            description = (description + f" {kw0} fan").strip()
        share = rng.uniform(0.1, 0.3)
        n_orig = rng.randint(1, 3)
        n_reply = _poisson(rng, n_orig * 0.5)
        mention_p = rng.uniform(0.15, 0.25)
        quote_p = 0.04
        rt_p = 0.12
        if rng.random() < 0.08:
            lang = rng.choice(tuple(_LANG_LINES))
        user = _user(
            b,
            rng,
            handle=handle,
            name=name,
            created=created,
            description=description,
            followers=followers,
            following=round(_log_uniform(rng, 50, 1_500)),
            rev=rev,
            listed=_poisson(rng, followers * 0.002),
            posts_per_day=rng.uniform(0.3, 6),
            verified=rng.random() < 0.02,
            protected=rng.random() < 0.02,
            default_avatar=rng.random() < 0.03,
            location="" if rng.random() < 0.4 else None,
        )
    return _Account(
        user=user,
        kind=kind,
        niche=niche.name,
        topic=topic,
        rev=rev,
        followers=followers,
        er=er,
        reach=reach,
        share=share,
        n_orig=n_orig,
        n_reply=n_reply,
        lang=lang,
        alt_lang=alt_lang,
        mention_p=mention_p,
        paid_p=paid_p,
        quote_p=quote_p,
        rt_p=rt_p,
        active=(max(b.window_start, created), b.window_end),
        created=created,
    )


def _matching(acct: _Account) -> int:
    """Expected posts of `acct` that the niche query returns (English, not replies)."""
    if acct.user.get("protected") or acct.lang != "en":
        return 0
    return round(acct.n_orig * (1 - acct.alt_lang))


def _weight(acct: _Account) -> float:
    """How likely real people mention an account: its real audience and topicality."""
    real = acct.followers * {
        "creator": 1.0,
        "nano": 1.0,
        "big": 1.0,
        "brand": 0.3,
        "bought": 0.03,
    }.get(acct.kind, 0.0)
    return math.pow(real, 0.6) * (0.3 + acct.share)


def generate_world(
    *,
    seed: int = 2026,
    niches: Sequence[str] = NICHES_DEFAULT,
    scale: float = 1.0,
    observed_at: datetime | None = None,
) -> XWorld:
    """A deterministic world for `seed`, `niches` and `scale` (see the module docstring)."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    now_dt = (observed_at or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    b = _Builder(seed, tuple(niches), scale, now_dt.timestamp())
    index = 0
    plan: dict[str, list[_Account]] = {n: [] for n in b.niches}

    def add(niche: _Niche, kind: str) -> _Account:
        nonlocal index
        acct = _make_account(b, niche, kind, index)
        index += 1
        b.add_user(acct)
        plan[niche.name].append(acct)
        return acct

    fixed = {
        "creator": max(10, round(34 * scale)),
        "bought": max(3, round(10 * scale)),
        "other_topic": max(5, round(30 * scale)),
        "nano": max(3, round(100 * scale)),
        "big": max(2, round(50 * scale)),
        "brand": max(2, round(43 * scale)),
        "news": max(2, round(40 * scale)),
    }
    for niche in b.niches.values():
        for kind, count in fixed.items():
            for _ in range(count):
                acct = add(niche, kind)
                if kind == "brand":
                    niche.brand_handles.append(str(acct.user["username"]))
                if kind == "creator":
                    niche.creator_handles.append(str(acct.user["username"]))
        for acct in plan[niche.name]:
            weight = _weight(acct)
            if weight > 0:
                niche.targets.append((str(acct.user["username"]), weight))
        total = 0.0
        for _, weight in niche.targets:
            total += weight
            niche.target_cum.append(total)
        target = _TARGET_POSTS * scale
        for kind, share in (("casual", _CASUAL_SHARE), ("spam", _SPAM_SHARE)):
            got = 0
            while got < target * share:
                acct = add(niche, kind)
                got += _matching(acct)
                if kind == "casual" and len(niche.fans) < 400:
                    niche.fans.append(str(acct.user["username"]))

    # the week's niche posts, account by account
    for niche in b.niches.values():
        for acct in plan[niche.name]:
            _index_posts(b, niche, acct)

    users = [a.user for a in b.accounts.values()]
    posts = [p for a in b.accounts.values() for p in a.indexed]
    posts.sort(key=lambda p: int(p["id"]), reverse=True)
    labels = {
        "bought_audience": sorted(u for u, a in b.accounts.items() if a.kind == "bought"),
        "authentic_micro": {
            n: sorted(u for u, a in b.accounts.items() if a.kind == "creator" and a.niche == n)
            for n in b.niches
        },
        "kind": {u: a.kind for u, a in b.accounts.items()},
    }
    dataset = {
        "observed_at": _iso(b.now),
        "note": (
            f"Generated X world (seed {seed}, scale {scale}, niches {', '.join(b.niches)}) "
            "by tests/fakes/x_world.py: invented accounts and posts in the X API v2 format."
        ),
        "labels": labels,
        "users": users,
        "posts": posts,
    }
    world = XWorld(dataset=dataset, observed_at=now_dt)
    world._builder = b
    return world


def _index_posts(b: _Builder, niche: _Niche, acct: _Account) -> None:
    """Generate `acct`'s niche posts of the window and its most recent post."""
    rng = b.rng
    low, high = acct.active
    times: list[tuple[float, bool]] = [
        (b.activity_time(rng, low, high), False) for _ in range(acct.n_orig)
    ]
    times += [(b.activity_time(rng, low, high), True) for _ in range(acct.n_reply)]
    times.sort()
    for t, reply in times:
        b.seq += 1
        quote_of = None
        if not reply and niche.recent and rng.random() < acct.quote_p:
            qt, qid = niche.recent[rng.randrange(len(niche.recent))]
            if qt < t:
                quote_of = qid
        post = b.post(
            acct, rng, t, b.seq % (1 << 21), on_niche=True, reply=reply, quote_of=quote_of
        )
        acct.indexed.append(post)
        if not reply and acct.kind != "spam" and len(niche.recent) < 5_000:
            niche.recent.append((t, str(post["id"])))
    acct.indexed.reverse()
    newest = times[-1][0] if times else low
    acct.last = newest
    if acct.kind != "spam":
        weekly = (acct.n_orig + acct.n_reply) / max(acct.share, 0.05)
        anchor = b.window_end - rng.expovariate(weekly / WEEK)
        if anchor > newest:
            seq = (1 << 21) | (zlib.crc32(str(acct.user["id"]).encode()) & 0xFFFFF)
            acct.anchor = (anchor, _snowflake(anchor, seq))
            acct.last = anchor
    newest_id = acct.anchor[1] if acct.anchor else (acct.indexed[0]["id"] if acct.indexed else None)
    if newest_id is not None:
        acct.user["most_recent_tweet_id"] = newest_id


def niche_share(posts: Iterable[Mapping[str, Any]], niche: str) -> float:
    """Share of `posts` whose text is on `niche` (as `core.niches.matches_niche` sees it)."""
    nq = build_query(niche)
    items = list(posts)
    if not items:
        return 0.0
    return sum(matches_niche(str(p.get("text") or ""), nq) for p in items) / len(items)


__all__ = ["KINDS", "NICHES_DEFAULT", "XWorld", "generate_world", "niche_share"]
