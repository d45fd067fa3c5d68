#!/usr/bin/env python3
"""Writes a synthetic OpenFoodFacts-style CSV export (TAB-separated, header row) for
scripts/bench-nutrition.

    gen_off_tsv.py COUNT OUT_FILE [SEED]

Names are "{adjective} {food} {variant}" built from word lists, so common words repeat a lot
(a 3-letter query such as "chi" or "yog" matches thousands of rows, "strawberry" tens of
thousands). About 60 % of the products have a brand, about 40 % a serving quantity. Codes are
unique 13-digit EAN-13 barcodes with a valid check digit. The output is deterministic for a
given COUNT and SEED.
"""

import random
import sys

ADJECTIVES = [
    "Organic", "Greek", "Classic", "Light", "Low Fat", "Whole", "Spicy", "Smoked", "Roasted",
    "Fresh", "Frozen", "Crunchy", "Creamy", "Homestyle", "Natural", "Original", "Wholegrain",
    "Sweet", "Salted", "Unsalted", "Mini", "Extra", "Premium", "Baked", "Grilled", "Country",
    "Traditional", "Italian", "Mexican", "Thai", "Chunky", "Rich", "Zesty", "Golden", "Wild",
    "Free Range", "Gluten Free", "Vegan", "High Protein", "Reduced Sugar", "Farmhouse", "Rustic",
]

FOODS = [
    "Yogurt", "Chicken Breast", "Chicken Soup", "Chickpeas", "Potato Chips", "Chia Seeds",
    "Chili", "Chocolate", "Cheese", "Cheddar", "Milk", "Bread", "Granola", "Oatmeal", "Muesli",
    "Rice", "Pasta", "Spaghetti", "Noodles", "Tortilla", "Salmon", "Tuna", "Beef Jerky",
    "Sausage", "Ham", "Bacon", "Turkey Slices", "Eggs", "Butter", "Peanut Butter", "Almonds",
    "Cashews", "Walnuts", "Hummus", "Salsa", "Ketchup", "Mayonnaise", "Mustard", "Orange Juice",
    "Apple Juice", "Lemonade", "Iced Tea", "Coffee", "Cereal", "Crackers", "Cookies", "Biscuits",
    "Muffin", "Croissant", "Bagel", "Pizza", "Lasagna", "Burrito", "Tofu", "Lentils",
    "Black Beans", "Kidney Beans", "Sweetcorn", "Peas", "Spinach", "Broccoli", "Carrots",
    "Potatoes", "Fries", "Ice Cream", "Sorbet", "Pudding", "Jam", "Honey", "Smoothie",
    "Protein Bar", "Energy Drink", "Soda", "Sparkling Water", "Kefir", "Cottage Cheese",
    "Cream Cheese", "Mozzarella", "Parmesan", "Drinking Yogurt", "Frozen Yogurt", "Rice Cakes",
]

VARIANTS = [
    "Vanilla", "Strawberry", "Blueberry", "Raspberry", "Peach", "Mango", "Banana", "Lemon",
    "Garlic", "Herb", "Sea Salt", "Barbecue", "Sour Cream", "Cinnamon", "Caramel", "Coconut",
    "Plain", "Chipotle", "Chive", "Jalapeno", "Tomato", "Basil", "Black Pepper", "Cherry",
    "Apple", "Maple", "Hazelnut", "Mint", "Pineapple", "Passion Fruit", "Cranberry",
    "Pomegranate", "Blackberry", "Strawberry Banana", "Chocolate Chip", "Double Chocolate",
    "Salted Caramel", "Honey Roasted", "Smoky Paprika", "Lime",
]

SIZES = ["", "", "", "", "150 g", "200 g", "400 g", "500 g", "1 kg", "Family Pack", "Multipack"]

SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "tor", "sel", "dan", "bri", "na", "po", "lu",
             "fer", "gan", "qui", "zo", "mar", "tel", "ber", "ni", "vo", "ha", "sun", "del"]
BRAND_SUFFIXES = ["", "", "", " Foods", " Farms", " Kitchen", " & Co", " Dairy", " Bakery",
                  " Naturals", " Organics"]

COLUMNS = [
    "code", "product_name", "brands", "serving_quantity", "energy-kcal_100g", "proteins_100g",
    "carbohydrates_100g", "fat_100g", "fiber_100g", "sugars_100g", "sodium_100g",
]


def ean13(body12: int) -> str:
    digits = f"{body12:012d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(digits))
    return digits + str((10 - total % 10) % 10)


def main() -> None:
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: gen_off_tsv.py COUNT OUT_FILE [SEED]")
    count = int(sys.argv[1])
    out = sys.argv[2]
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) == 4 else 20261125)

    brands = []
    for _ in range(400):
        word = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
        brands.append(word + rng.choice(BRAND_SUFFIXES))

    with open(out, "w", encoding="utf-8", newline="\n") as f:
        f.write("\t".join(COLUMNS) + "\n")
        for i in range(count):
            # A bijection of 0..10^11-1 (7919 is coprime with 10^11): unique, not sequential.
            code = ean13(400_000_000_000 + (i * 7919) % 100_000_000_000)
            parts = []
            if rng.random() < 0.75:
                parts.append(rng.choice(ADJECTIVES))
            parts.append(rng.choice(FOODS))
            if rng.random() < 0.7:
                parts.append(rng.choice(VARIANTS))
            size = rng.choice(SIZES)
            if size:
                parts.append(size)
            name = " ".join(parts)
            brand = rng.choice(brands) if rng.random() < 0.6 else ""
            serving = f"{rng.choice([15, 25, 30, 40, 50, 125, 150, 200, 250, 330])}" if rng.random() < 0.4 else ""
            protein = round(rng.uniform(0, 30), 1)
            carbs = round(rng.uniform(0, 80), 1)
            fat = round(rng.uniform(0, 40), 1)
            kcal = round(4 * protein + 4 * carbs + 9 * fat, 0)
            fiber = round(rng.uniform(0, 10), 1) if rng.random() < 0.8 else ""
            sugars = round(rng.uniform(0, carbs), 1)
            sodium = round(rng.uniform(0, 1.5), 3)
            row = [code, name, brand, serving, kcal, protein, carbs, fat, fiber, sugars, sodium]
            f.write("\t".join(str(v) for v in row) + "\n")


if __name__ == "__main__":
    main()
